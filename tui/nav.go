package tui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// Navigation: every move to another page pushes the page the user leaves
// onto a back stack, and esc (when the screen has no use for it) pops it, so
// esc returns to where the user came from — the Saved list with its cursor
// after a send from Saved — like a browser's back button or k9s's esc.

// maxTrail bounds the back stack; older steps are forgotten.
const maxTrail = 32

// showPage moves to p and remembers the page left.
func (m *model) showPage(p page) {
	m.passing = false
	if p == m.page {
		return
	}
	m.trail = append(m.trail, m.page)
	if len(m.trail) > maxTrail {
		m.trail = append(m.trail[:0], m.trail[len(m.trail)-maxTrail:]...)
	}
	m.page = p
}

// showResult shows the inspector for a report that just arrived. A send
// started elsewhere only passed through the composer: the result takes the
// composer's place, so esc goes back to where the send started.
func (m *model) showResult() {
	if !m.passing || m.page != pageComposer {
		m.showPage(pageInspector)
		return
	}
	m.passing = false
	m.page = pageInspector
	// A send again from the inspector already left it on the stack.
	for len(m.trail) > 0 && m.trail[len(m.trail)-1] == pageInspector {
		m.trail = m.trail[:len(m.trail)-1]
	}
}

// goBack returns to the previous page. It never lands in a text field in
// typing mode: a key pressed next is a command, not text.
func (m *model) goBack() tea.Cmd {
	if len(m.trail) == 0 {
		return nil
	}
	m.passing = false
	m.page = m.trail[len(m.trail)-1]
	m.trail = m.trail[:len(m.trail)-1]
	switch m.page {
	case pageComposer:
		m.composer.stopTyping()
	case pageIdentities:
		return m.ids.detailCmd()
	case pageCAs:
		return m.cas.detailCmd()
	}
	return nil
}

// uses reports whether an enabled binding of ks answers k.
func (ks keySet) uses(k string) bool {
	for _, g := range ks.full {
		for _, b := range g {
			if !b.Enabled() {
				continue
			}
			for _, bk := range b.Keys() {
				if bk == k {
					return true
				}
			}
		}
	}
	return false
}

// globalNow is the root's bindings as they stand: esc goes back only when
// there is somewhere to go and the screen has no use for it.
func (m *model) globalNow() globalKeys {
	gk := m.sh.keys
	ks := m.active().keys()
	// A key the screen uses now is the screen's (n is "next match" while
	// a search shows, "new request" otherwise).
	for _, b := range []*key.Binding{&gk.Identities, &gk.CAs, &gk.Composer, &gk.History, &gk.Help, &gk.Palette,
		&gk.Quit, &gk.Lock, &gk.NewRequest} {
		for _, k := range b.Keys() {
			if ks.uses(k) {
				b.SetEnabled(false)
			}
		}
	}
	gk.Back = on(gk.Back, len(m.trail) > 0 && !ks.uses("esc"))
	// The key of the page shown would do nothing.
	gk.Identities = on(gk.Identities, m.page != pageIdentities)
	gk.CAs = on(gk.CAs, m.page != pageCAs)
	gk.Composer = on(gk.Composer, m.page != pageComposer)
	gk.History = on(gk.History, m.page != pageHistory)
	return gk
}

func helpOverlayKeys() []key.Binding {
	return []key.Binding{bindKeys("?/esc/q", "close help", "?", "esc", "q")}
}

// quit asks first when quitting loses something: edits the composer has
// not saved, or the demo's throw-away workspace.
func (m *model) quit() tea.Cmd {
	var why []string
	if m.composer.dirty() {
		why = append(why, "The composer holds edits you have not saved (ctrl+w saves them); quitting loses them.")
	}
	switch {
	case m.cleanup != nil:
		why = append(why, "Quitting stops the demo's servers and deletes its workspace.")
	case m.opts.Guide != "":
		why = append(why, "Quitting stops the demo's servers and deletes its workspace (unless you started it with --keep).")
	}
	if len(why) == 0 {
		return tea.Quit
	}
	f := newForm("Quit mtlswb?", why...)
	f.confirm = true
	f.yes, f.no = []string{"y", "Y", "enter", "q"}, []string{"n", "N", "esc"}
	f.submit = func([]string) (tea.Cmd, error) { return tea.Quit, nil }
	f.cancel = func() tea.Cmd {
		m.setInfo("not quitting")
		return nil
	}
	return m.openForm(f)
}
