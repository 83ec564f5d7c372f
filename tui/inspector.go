package tui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/safetext"
	"github.com/mtlswb/mtlswb/workspace"
)

type (
	openInspectorMsg struct {
		report tlsengine.Report
		spec   workspace.RequestSpec
	}
	compareMsg struct{ a, b attempt }
	// loadSpecMsg and resendMsg carry a request to the composer; name is
	// the saved request it came from ("" for history and results), so a
	// save offers that name.
	loadSpecMsg struct {
		spec workspace.RequestSpec
		name string
	}
	resendMsg struct {
		spec workspace.RequestSpec
		name string
	}
)

// attempt is one decoded history entry.
type attempt struct {
	entry  workspace.HistoryEntry
	spec   workspace.RequestSpec
	report tlsengine.Report
}

type inspTab int

const (
	tabVerdict inspTab = iota
	tabTiming
	tabHandshake
	tabChain
	tabResponse
	tabCount
)

var tabNames = []string{"Verdict", "Timing", "Handshake", "Server chain", "Response"}

type inspectorKeys struct {
	NextTab, PrevTab, Up, Down, PageUp, PageDown, Top, Bottom, Resend, Edit key.Binding
	Search, NextMatch, PrevMatch, ClearSearch, SearchApply, SearchCancel    key.Binding
	// ResendTLS12 sends again with TLS 1.2 at most: Apache asks for a
	// per-directory certificate by post-handshake auth under TLS 1.3, which
	// Go cannot answer, and by renegotiation under TLS 1.2, which it can.
	ResendTLS12 key.Binding
}

func newInspectorKeys() inspectorKeys {
	return inspectorKeys{
		NextTab:  bindKeys("tab/→/l", "next tab", "tab", "right", "l"),
		PrevTab:  bindKeys("shift+tab/←/h", "previous tab", "shift+tab", "left", "h"),
		Up:       upKey("scroll up"),
		Down:     downKey("scroll down"),
		PageUp:   pageUpKey(),
		PageDown: pageDownKey(),
		Top:      bindKeys("g/home", "top", "home", "g"),
		Bottom:   bindKeys("G/end", "bottom", "end", "G"),
		Resend:   resendKey(),
		Edit:     editKey(),

		Search:       bind("/", "search"),
		NextMatch:    bind("n", "next match"),
		PrevMatch:    bind("N", "previous match"),
		ClearSearch:  bind("esc", "clear search"),
		SearchApply:  bind("enter", "search"),
		SearchCancel: bind("esc", "cancel search"),

		ResendTLS12: bind("ctrl+t", "send again with TLS 1.2 at most"),
	}
}

// keysNow: a comparison has no tabs and nothing to send again.
func (s *inspectorScreen) keysNow() inspectorKeys {
	k := s.km
	if s.searching {
		disable(&k.NextTab, &k.PrevTab, &k.Up, &k.Down, &k.PageUp, &k.PageDown, &k.Top, &k.Bottom,
			&k.Resend, &k.ResendTLS12, &k.Edit, &k.Search, &k.NextMatch, &k.PrevMatch, &k.ClearSearch)
		return k
	}
	k.SearchApply.SetEnabled(false)
	k.SearchCancel.SetEnabled(false)
	single := s.report != nil && s.cmp == nil
	for _, b := range []*key.Binding{&k.NextTab, &k.PrevTab, &k.Resend, &k.Edit, &k.Search} {
		*b = on(*b, single)
	}
	k.ResendTLS12 = on(k.ResendTLS12, single && tls12Helps(s.report))
	k.NextMatch = on(k.NextMatch, len(s.matches) > 1)
	k.PrevMatch = on(k.PrevMatch, len(s.matches) > 1)
	k.ClearSearch = on(k.ClearSearch, s.query != "")
	return k
}

func (s *inspectorScreen) keys() keySet {
	k := s.keysNow()
	if s.searching {
		return flat([]key.Binding{k.SearchApply, k.SearchCancel}...)
	}
	return keySet{
		short: []key.Binding{k.NextTab, k.Down, k.Up, k.Search, k.NextMatch, k.ClearSearch, k.Resend, k.ResendTLS12, k.Edit},
		full: [][]key.Binding{
			{k.NextTab, k.PrevTab, k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
			{k.Search, k.NextMatch, k.PrevMatch, k.ClearSearch},
			{k.Resend, k.ResendTLS12, k.Edit},
		},
	}
}

func (s *inspectorScreen) commands() []command { return nil }

// inspectorScreen shows one attempt in tabs, or two attempts side by side.
type inspectorScreen struct {
	sh     *shared
	km     inspectorKeys
	report *tlsengine.Report
	spec   workspace.RequestSpec
	live   bool // the body is in memory (not a history entry)
	tab    inspTab
	cmp    *[2]attempt
	vp     pane

	// Search: query is what was searched, matches the lines holding it,
	// at is the match shown.
	searching bool
	search    textinput.Model
	query     string
	matches   []int
	at        int
	w, h      int
}

func newInspectorScreen(sh *shared) *inspectorScreen {
	s := &inspectorScreen{sh: sh, km: newInspectorKeys(), vp: newPane()}
	s.search = textinput.New()
	s.search.Prompt = "/ "
	s.search.Placeholder = placeholder(&sh.styles, "search this tab")
	themeInput(&s.search, &sh.styles)
	return s
}

func (s *inspectorScreen) typing() bool    { return s.searching }
func (s *inspectorScreen) hasReport() bool { return s.report != nil || s.cmp != nil }
func (s *inspectorScreen) restyle() {
	themeInput(&s.search, &s.sh.styles)
	s.render()
}

func (s *inspectorScreen) setSize(w, h int) {
	s.w, s.h = w, h
	s.vp.SetWidth(w)
	s.vp.SetHeight(max(h-3, 1)) // tabs, target, and the scroll or search line
	s.render()
}

// setReport shows a report; a failure opens on the verdict, a success on
// the response.
func (s *inspectorScreen) setReport(r tlsengine.Report, spec workspace.RequestSpec, live bool) {
	s.report, s.spec, s.live, s.cmp = &r, spec, live, nil
	s.query, s.searching = "", false
	s.tab = tabVerdict
	if r.OK && r.HTTP != nil {
		s.tab = tabResponse
	}
	s.render()
	s.vp.GotoTop()
}

func (s *inspectorScreen) setCompare(a, b attempt) {
	s.cmp = &[2]attempt{a, b}
	s.query, s.searching = "", false
	s.render()
	s.vp.GotoTop()
}

func (s *inspectorScreen) update(msg tea.Msg) tea.Cmd {
	km, ok := msg.(tea.KeyPressMsg)
	if !ok {
		if s.searching {
			var c tea.Cmd
			s.search, c = s.search.Update(msg)
			return c
		}
		return nil
	}
	k := s.keysNow()
	if s.searching {
		return s.updateSearch(km, k)
	}
	switch {
	case key.Matches(km, k.NextTab):
		s.tab = (s.tab + 1) % tabCount
		s.render()
		s.vp.GotoTop()
		s.firstMatch()
	case key.Matches(km, k.PrevTab):
		s.tab = (s.tab + tabCount - 1) % tabCount
		s.render()
		s.vp.GotoTop()
		s.firstMatch()
	case key.Matches(km, k.Search):
		s.searching = true
		s.search.SetValue(s.query)
		s.search.CursorEnd()
		return s.search.Focus()
	case key.Matches(km, k.NextMatch):
		s.jump(1)
	case key.Matches(km, k.PrevMatch):
		s.jump(-1)
	case key.Matches(km, k.ClearSearch):
		s.query = ""
		s.render()
	case key.Matches(km, k.Up):
		s.vp.ScrollUp(1)
	case key.Matches(km, k.Down):
		s.vp.ScrollDown(1)
	case key.Matches(km, k.PageUp):
		s.vp.PageUp()
	case key.Matches(km, k.PageDown):
		s.vp.PageDown()
	case key.Matches(km, k.Top):
		s.vp.GotoTop()
	case key.Matches(km, k.Bottom):
		s.vp.GotoBottom()
	case key.Matches(km, k.Resend):
		spec := s.spec
		return func() tea.Msg { return resendMsg{spec: spec} }
	case key.Matches(km, k.ResendTLS12):
		spec := s.spec
		spec.TLSMax = "1.2"
		return func() tea.Msg { return resendMsg{spec: spec} }
	case key.Matches(km, k.Edit):
		spec := s.spec
		return func() tea.Msg { return loadSpecMsg{spec: spec} }
	}
	return nil
}

func (s *inspectorScreen) render() {
	if s.w <= 0 {
		return
	}
	switch {
	case s.cmp != nil:
		s.vp.SetContent(renderCompare(&s.sh.styles, s.cmp[0], s.cmp[1], s.w))
	case s.report != nil:
		s.vp.SetContent(s.highlight(s.renderTab()))
	}
}

func (s *inspectorScreen) view() string {
	st := &s.sh.styles
	if s.cmp != nil {
		return st.title.Render("Compare two attempts") + "\n" + s.vp.View() + "\n" + st.dim.Render(cut(scrollNote(&s.vp.Model), s.w))
	}
	if s.report == nil {
		return st.dim.Render("no result yet: compose a request (3) and send it with ctrl+s")
	}
	var tabs []string
	for i, n := range tabNames {
		if inspTab(i) == s.tab {
			tabs = append(tabs, st.tabActive.Render("["+n+"]"))
		} else {
			tabs = append(tabs, st.tab.Render(" "+n+" "))
		}
	}
	head := strings.Join(tabs, "")
	target := safetext.Line(s.report.Request.URL)
	if s.report.Request.Method != "" && !s.report.Request.Probe {
		target = safetext.Line(s.report.Request.Method) + " " + target
	}
	if s.report.Request.Probe {
		target = "probe " + target
	}
	return cut(head, s.w) + "\n" + st.dim.Render(cut(target, s.w)) + "\n" + s.vp.View() + "\n" + s.footLine()
}

func (s *inspectorScreen) renderTab() string {
	r := s.report
	st := &s.sh.styles
	w := s.w
	switch s.tab {
	case tabVerdict:
		return renderVerdict(st, r, w)
	case tabTiming:
		return renderTiming(st, r, w)
	case tabHandshake:
		return renderHandshake(st, r, w)
	case tabChain:
		return renderChain(st, r.TLS.ServerChain, r.TLS.Verification, w)
	case tabResponse:
		return renderResponse(st, r, s.live, w)
	}
	return ""
}

// padLines pads every line of a block to w cells so blocks join cleanly.
func padLines(s string, w int) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if lw := textWidth(l); lw < w {
			lines[i] = l + strings.Repeat(" ", w-lw)
		}
	}
	return strings.Join(lines, "\n")
}
