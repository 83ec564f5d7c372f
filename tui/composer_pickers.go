package tui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// pickMode says which picker covers the form: the identity to present, or
// the CAs (and system roots) to trust. A picker is a filtered winList, which
// draws only the rows in its window, like every list.
type pickMode int

const (
	pickNone pickMode = iota
	pickIdentity
	pickTrust
)

func (s *composerScreen) openPicker(mode pickMode) tea.Cmd {
	s.picking = mode
	now := s.sh.now()
	var rows []row
	var cols []column
	switch mode {
	case pickIdentity:
		cols = []column{{title: "Identity", min: 8}, {title: "Subject CN", min: 8, flex: true, drop: 1}}
		rows = append(rows, row{key: identityByProfile, cells: []string{"(default)", "the matching profile's identity, else none"}, hay: "default profile none"})
		rows = append(rows, row{key: identityAuto, cells: []string{"(auto)", "probe the server and take the one identity it accepts"}, hay: "auto"})
		rows = append(rows, row{key: identityNone, cells: []string{"(none)", "send no client certificate, whatever the profiles say"}, hay: "none"})
		for _, e := range s.idents {
			r := row{key: e.Name, cells: []string{safetext.Line(e.Name), safetext.Line(e.SubjectCN)}, hay: strings.ToLower(e.Name + " " + e.SubjectCN), badges: entryBadges(e, now)}
			if v, ok := s.verdicts[e.Name]; ok {
				if v.Accepted {
					r.mark = "✓"
					r.badges = append(r.badges, badge{"server accepts", badgeOK})
				} else {
					r.mark = "✗"
				}
			}
			rows = append(rows, r)
		}
	case pickTrust:
		cols = []column{{title: "On", min: 3}, {title: "Trust anchor", min: 8}, {title: "Subject CN", min: 8, flex: true, drop: 1}}
		rows = append(rows, row{key: "\x00system", cells: []string{checkbox(s.systemRoots), "system roots", "the operating system's CAs"}, hay: "system roots"})
		for _, c := range s.caList {
			rows = append(rows, row{key: c.Name, cells: []string{checkbox(s.cas[c.Name]), safetext.Line(c.Name), safetext.Line(c.SubjectCN)}, hay: strings.ToLower(c.Name + " " + c.SubjectCN), badges: entryBadges(c, now)})
		}
	}
	s.pick = winList{empty: "nothing matches", cols: cols, sortCol: 1}
	if mode == pickIdentity {
		s.pick.sortCol = 0
	}
	s.pick.setSize(s.w, s.h-3)
	s.pick.setRows(rows)
	if mode == pickIdentity {
		s.pick.selectKey(s.identity)
	}
	s.filter.SetValue("")
	return s.filter.Focus()
}

func checkbox(on bool) string {
	if on {
		return "[x]"
	}
	return "[ ]"
}

type pickerKeys struct {
	Up, Down, PageUp, PageDown, Choose, Toggle, Close key.Binding
}

// pickerKeysNow: typing filters the list, so only keys that type nothing
// move; in the trust list space toggles and enter closes (or toggles the
// one row a filter left).
func (s *composerScreen) pickerKeysNow() pickerKeys {
	k := pickerKeys{
		Up:       bindKeys("↑", "up", "up"),
		Down:     bindKeys("↓", "down", "down"),
		PageUp:   bind("pgup", "page up"),
		PageDown: bindKeys("pgdn", "page down", "pgdown"),
		Choose:   bind("enter", "choose"),
		Toggle:   bind("space", "trust on/off"),
		Close:    bind("esc", "close the list"),
	}
	if s.picking == pickTrust {
		k.Choose = said(k.Choose, "done")
		if s.pick.filter != "" {
			k.Choose = said(k.Choose, "trust on/off")
		}
	} else {
		k.Toggle.SetEnabled(false)
	}
	return k
}

func (s *composerScreen) updatePicker(km tea.KeyPressMsg) tea.Cmd {
	k := s.pickerKeysNow()
	switch {
	case key.Matches(km, k.Close):
		s.picking = pickNone
		return nil
	case key.Matches(km, k.Up):
		s.pick.move(-1)
		return nil
	case key.Matches(km, k.Down):
		s.pick.move(1)
		return nil
	case key.Matches(km, k.PageUp):
		s.pick.move(-s.pick.height)
		return nil
	case key.Matches(km, k.PageDown):
		s.pick.move(s.pick.height)
		return nil
	case key.Matches(km, k.Toggle):
		s.toggleTrust()
		return nil
	case key.Matches(km, k.Choose):
		r := s.pick.selected()
		if s.picking == pickIdentity {
			if r != nil {
				s.identity = r.key
			}
		} else if s.pick.filter != "" && r != nil {
			s.toggleTrust()
			return nil
		}
		s.picking = pickNone
		return nil
	}
	var c tea.Cmd
	s.filter, c = s.filter.Update(km)
	s.pick.setFilter(s.filter.Value())
	return c
}

func (s *composerScreen) toggleTrust() {
	r := s.pick.selected()
	if r == nil {
		return
	}
	if r.key == "\x00system" {
		s.systemRoots = !s.systemRoots
		r.cells[0] = checkbox(s.systemRoots)
		return
	}
	s.cas[r.key] = !s.cas[r.key]
	r.cells[0] = checkbox(s.cas[r.key])
}
