package tui

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
	"github.com/mtlswb/mtlswb/workspace"
)

type historyKeys struct {
	listKeys
	Filter, Clear, Open, Pane, Resend, Edit key.Binding
	Mark, Compare, Delete                   key.Binding
	FilterApply, FilterCancel               key.Binding
}

func newHistoryKeys() historyKeys {
	return historyKeys{
		listKeys:     newListKeys(),
		Filter:       filterKey(),
		Clear:        bind("esc", "clear filter"),
		Open:         bind("enter", "open"),
		Pane:         paneKey("history/saved"),
		Resend:       resendKey(),
		Edit:         editKey(),
		Mark:         bind("m", "mark to compare"),
		Compare:      bind("=", "compare with marked"),
		Delete:       bind("d", "delete saved"),
		FilterApply:  bind("enter", "keep filter"),
		FilterCancel: bind("esc", "clear filter"),
	}
}

// keysNow are the bindings of the pane in focus, or of the filter typed.
func (s *historyScreen) keysNow() historyKeys {
	k := s.km
	if s.filtering {
		k.listKeys = k.listKeys.off()
		disable(&k.Filter, &k.Clear, &k.Open, &k.Pane, &k.Resend, &k.Edit, &k.Mark, &k.Compare, &k.Delete)
		return k
	}
	k.FilterApply.SetEnabled(false)
	k.FilterCancel.SetEnabled(false)
	l := s.cur()
	sel := l.selected() != nil
	k.Clear = on(k.Clear, l.filter != "")
	for _, b := range []*key.Binding{&k.Open, &k.Resend, &k.Edit} {
		*b = on(*b, sel)
	}
	if s.pane == paneSaved {
		k.Open = said(k.Open, "load in composer")
		k.Mark.SetEnabled(false)
		k.Compare.SetEnabled(false)
		k.Delete = on(k.Delete, sel)
		return k
	}
	k.Open = said(k.Open, "inspect")
	k.Delete.SetEnabled(false)
	k.Mark = on(k.Mark, sel)
	k.Compare = on(k.Compare, sel)
	return k
}

func (s *historyScreen) keys() keySet {
	k := s.keysNow()
	if s.filtering {
		return flat([]key.Binding{k.FilterApply, k.FilterCancel}...)
	}
	return keySet{
		short: []key.Binding{k.Open, k.Resend, k.Pane, k.Filter, k.Edit, k.Mark, k.Compare, k.Delete},
		full: [][]key.Binding{
			k.listKeys.help(),
			{k.Filter, k.Clear, k.Open, k.Pane, k.Resend, k.Edit},
			{k.Mark, k.Compare, k.Delete},
		},
	}
}

func (s *historyScreen) commands() []command { return nil }

type histPane int

const (
	paneHistory histPane = iota
	paneSaved
)

// historyScreen lists past attempts and the saved collection.
type historyScreen struct {
	sh     *shared
	km     historyKeys
	pane   histPane
	hist   winList
	saved  winList
	byID   map[uint64]workspace.HistoryEntry
	specs  map[string]workspace.SavedRequest
	marked uint64
	newest uint64 // the newest attempt seen: a newer one gets the cursor

	filtering bool
	filter    textinput.Model
	w, h      int
}

func newHistoryScreen(sh *shared) *historyScreen {
	s := &historyScreen{sh: sh, km: newHistoryKeys(), byID: map[uint64]workspace.HistoryEntry{}, specs: map[string]workspace.SavedRequest{}}
	// Attempts newest first; at 80 columns the time goes first, then the
	// identity; the result and the request always show.
	s.hist.cols = []column{
		{title: "#", min: 3, right: true},
		{title: "When (UTC)", min: 14, drop: 2},
		{title: "Result", min: 10},
		{title: "Identity", min: 6, drop: 1},
		{title: "Request", min: 12, flex: true},
	}
	s.hist.sortDesc = true
	s.saved.cols = []column{
		{title: "Name", min: 8},
		{title: "Request", min: 12, flex: true},
		{title: "Identity", min: 6, drop: 1},
	}
	s.hist.empty = "no attempts yet: send a request from the composer (3)"
	s.saved.empty = "no saved requests: save one from the composer with ctrl+o"
	s.filter = textinput.New()
	s.filter.Prompt = "/ "
	themeInput(&s.filter, &sh.styles)
	return s
}

func (s *historyScreen) typing() bool { return s.filtering }
func (s *historyScreen) restyle()     { themeInput(&s.filter, &s.sh.styles) }

func (s *historyScreen) setSize(w, h int) {
	s.w, s.h = w, h
	s.hist.setSize(w, h-2)
	s.saved.setSize(w, h-2)
}

func (s *historyScreen) cur() *winList {
	if s.pane == paneSaved {
		return &s.saved
	}
	return &s.hist
}

func (s *historyScreen) setHistory(entries []workspace.HistoryEntry) {
	clear(s.byID)
	rows := make([]row, len(entries))
	for i, e := range entries {
		s.byID[e.ID] = e
		outcome := "✓ " + strconv.Itoa(e.Status)
		if e.Status == 0 {
			outcome = "✓ ok"
		}
		if !e.OK {
			outcome = "✗ " + safetext.Line(e.Category)
			if e.Category == "" {
				outcome = "✗ failed"
			}
		}
		ident := e.Identity
		if ident == "" {
			ident = "-"
		}
		cells := []string{"#" + strconv.FormatUint(e.ID, 10), e.At.UTC().Format("01-02 15:04:05"), outcome,
			safetext.Line(ident), safetext.Line(e.Method) + " " + safetext.Line(e.URL)}
		rows[i] = row{key: strconv.FormatUint(e.ID, 10), cells: cells, hay: strings.ToLower(strings.Join(cells, " "))}
		if e.ID == s.marked {
			rows[i].mark = "*"
		}
	}
	s.hist.setRows(rows)
	// A new attempt (sent from the composer, or by the CLI) takes the cursor,
	// so History opens on what just happened.
	if len(entries) > 0 && entries[0].ID > s.newest {
		s.newest = entries[0].ID
		s.hist.selectKey(strconv.FormatUint(s.newest, 10))
	}
}

func (s *historyScreen) setSaved(saved []workspace.SavedRequest) {
	clear(s.specs)
	rows := make([]row, len(saved))
	for i, r := range saved {
		s.specs[r.Name] = r
		var sp workspace.RequestSpec
		desc, ident := "(unreadable spec)", ""
		if json.Unmarshal(r.Spec, &sp) == nil {
			m := sp.Method
			if sp.Probe {
				m = "PROBE"
			}
			if m == "" {
				m = "GET"
			}
			desc = m + " " + sp.URL
			ident = sp.Identity
		}
		cells := []string{safetext.Line(r.Name), safetext.Line(desc), safetext.Line(ident)}
		rows[i] = row{key: r.Name, cells: cells, hay: strings.ToLower(strings.Join(cells, " "))}
	}
	s.saved.setRows(rows)
}

func (s *historyScreen) selectedID() (uint64, bool) {
	r := s.hist.selected()
	if r == nil {
		return 0, false
	}
	id, err := strconv.ParseUint(r.key, 10, 64)
	return id, err == nil
}

func (s *historyScreen) update(msg tea.Msg) tea.Cmd {
	km, ok := msg.(tea.KeyPressMsg)
	if !ok {
		if s.filtering {
			var c tea.Cmd
			s.filter, c = s.filter.Update(msg)
			return c
		}
		return nil
	}
	l := s.cur()
	k := s.keysNow()
	if s.filtering {
		switch {
		case key.Matches(km, k.FilterApply):
			s.filtering = false
			s.filter.Blur()
			return nil
		case key.Matches(km, k.FilterCancel):
			s.filtering = false
			s.filter.Blur()
			s.filter.SetValue("")
			l.setFilter("")
			return nil
		}
		var c tea.Cmd
		s.filter, c = s.filter.Update(km)
		l.setFilter(s.filter.Value())
		return c
	}
	switch {
	case k.navigate(l, km):
	case key.Matches(km, k.Pane):
		if s.pane == paneHistory {
			s.pane = paneSaved
		} else {
			s.pane = paneHistory
		}
		s.filter.SetValue(s.cur().filter)
	case key.Matches(km, k.Filter):
		s.filtering = true
		s.filter.SetValue(l.filter)
		return s.filter.Focus()
	case key.Matches(km, k.Clear):
		l.setFilter("")
		s.filter.SetValue("")
	case s.pane == paneSaved:
		return s.savedKey(km)
	default:
		return s.historyKey(km)
	}
	return nil
}

func (s *historyScreen) historyKey(km tea.KeyPressMsg) tea.Cmd {
	k := s.keysNow()
	id, ok := s.selectedID()
	if !ok {
		return nil
	}
	store := s.sh.store
	switch {
	case key.Matches(km, k.Open):
		return loadAttemptCmd(store, id, func(a attempt) tea.Msg { return openInspectorMsg{report: a.report, spec: a.spec} })
	case key.Matches(km, k.Resend):
		return loadAttemptCmd(store, id, func(a attempt) tea.Msg { return resendMsg{spec: a.spec} })
	case key.Matches(km, k.Edit):
		return loadAttemptCmd(store, id, func(a attempt) tea.Msg { return loadSpecMsg{spec: a.spec} })
	case key.Matches(km, k.Mark):
		if s.marked == id {
			s.marked = 0
			s.sh.host.setInfo("mark cleared")
		} else {
			s.marked = id
			s.sh.host.setInfo(fmt.Sprintf("marked #%d: select another attempt and press = to compare", id))
		}
		s.remark()
	case key.Matches(km, k.Compare):
		if s.marked == 0 {
			s.sh.host.setInfo("mark an attempt with m first, then press = on another")
			return nil
		}
		if s.marked == id {
			s.sh.host.setInfo("select a different attempt than the marked one")
			return nil
		}
		return compareCmd(store, s.marked, id)
	}
	return nil
}

func (s *historyScreen) remark() {
	for i := range s.hist.rows {
		s.hist.rows[i].mark = ""
		if s.hist.rows[i].key == strconv.FormatUint(s.marked, 10) {
			s.hist.rows[i].mark = "*"
		}
	}
}

func (s *historyScreen) savedKey(km tea.KeyPressMsg) tea.Cmd {
	k := s.keysNow()
	r := s.saved.selected()
	if r == nil {
		return nil
	}
	saved, ok := s.specs[r.key]
	if !ok {
		return nil
	}
	var spec workspace.RequestSpec
	if err := json.Unmarshal(saved.Spec, &spec); err != nil {
		s.sh.host.setError(fmt.Errorf("saved request %s cannot be read (%v): delete it and save it again", safetext.Line(saved.Name), err))
		return nil
	}
	switch {
	case key.Matches(km, k.Open), key.Matches(km, k.Edit):
		return func() tea.Msg { return loadSpecMsg{spec: spec, name: saved.Name} }
	case key.Matches(km, k.Resend):
		return func() tea.Msg { return resendMsg{spec: spec, name: saved.Name} }
	case key.Matches(km, k.Delete):
		f := newForm("Delete saved request "+safetext.Line(saved.Name)+"?", "The history of its attempts stays.")
		f.confirm = true
		store, name := s.sh.store, saved.Name
		f.submit = func([]string) (tea.Cmd, error) { return deleteSavedCmd(store, name), nil }
		return s.sh.host.openForm(f)
	}
	return nil
}

func decodeAttempt(h workspace.HistoryEntry) (attempt, error) {
	a := attempt{entry: h}
	if err := json.Unmarshal(h.Request, &a.spec); err != nil {
		return a, fmt.Errorf("history entry #%d has an unreadable request: %w", h.ID, err)
	}
	if err := json.Unmarshal(h.Report, &a.report); err != nil {
		return a, fmt.Errorf("history entry #%d has an unreadable report: %w", h.ID, err)
	}
	return a, nil
}

func loadAttemptCmd(s *workspace.Store, id uint64, then func(attempt) tea.Msg) tea.Cmd {
	return func() tea.Msg {
		h, err := s.HistoryItem(id)
		if err != nil {
			return errMsg{err: err}
		}
		a, err := decodeAttempt(*h)
		if err != nil {
			return errMsg{err: err}
		}
		return then(a)
	}
}

func compareCmd(s *workspace.Store, marked, other uint64) tea.Cmd {
	return func() tea.Msg {
		var out [2]attempt
		for i, id := range []uint64{marked, other} {
			h, err := s.HistoryItem(id)
			if err != nil {
				return errMsg{err: err}
			}
			if out[i], err = decodeAttempt(*h); err != nil {
				return errMsg{err: err}
			}
		}
		return compareMsg{a: out[0], b: out[1]}
	}
}

func (s *historyScreen) view() string {
	st := &s.sh.styles
	tab := func(name string, p histPane, n int) string {
		label := fmtPaneTab(name, n)
		if s.pane == p {
			label = "[" + strings.TrimSpace(label) + "]"
			return st.tabActive.Render(label)
		}
		return st.tab.Render(label)
	}
	head := tab("History", paneHistory, len(s.hist.rows)) + " " + tab("Saved", paneSaved, len(s.saved.rows))
	if s.marked != 0 && s.pane == paneHistory {
		head += st.dim.Render(fmt.Sprintf("  marked #%d", s.marked))
	}
	l := s.cur()
	var foot string
	switch {
	case s.filtering:
		s.filter.SetWidth(max(s.w-4, 4))
		foot = s.filter.View()
	case l.filter != "":
		foot = st.dim.Render(cut("filter: "+safetext.Line(l.filter)+"  (/ edit, esc clear) · "+l.position(), s.w))
	default:
		foot = st.dim.Render(cut(l.position(), s.w))
	}
	return cut(head, s.w) + "\n" + l.view(st, true) + "\n" + foot
}

// fmtPaneTab is a pane's tab label, as wide as when it is the active one.
func fmtPaneTab(name string, n int) string { return fmt.Sprintf(" %s (%d) ", name, n) }
