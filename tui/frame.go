package tui

import (
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// The frame is what the root draws around the active screen: tab bar, guide,
// status line and help (the short bar or the ? overlay), each clamped so a
// screen that draws too much cannot push them off the terminal.

var pageNames = []struct {
	p    page
	name string
}{{pageIdentities, "1 Identities"}, {pageCAs, "2 CAs"}, {pageComposer, "3 Composer"}, {pageHistory, "4 History"}, {pageInspector, "Result"}}

func (m *model) tabBar() string {
	st := &m.sh.styles
	if m.state != stateReady {
		return st.title.Render("mtlswb")
	}
	var parts []string
	for _, pn := range pageNames {
		if pn.p == pageInspector && !m.inspector.hasReport() {
			continue
		}
		label := " " + pn.name + " "
		if pn.p == m.page {
			// Brackets mark the active tab without colour too (NO_COLOR).
			label = "[" + pn.name + "]"
			parts = append(parts, st.tabActive.Render(label))
		} else {
			parts = append(parts, st.tab.Render(label))
		}
	}
	left := st.title.Render("mtlswb") + " " + strings.Join(parts, "")
	right := ""
	switch {
	case m.store == nil:
	case m.sh.guide != "":
		// A demo workspace is labelled as such wherever it shows.
		right = st.warn.Render("DEMO")
	case !m.encrypted:
		right = "no passphrase"
	case m.keys != nil:
		right = st.warn.Render("unlocked")
	default:
		right = "locked"
	}
	gap := m.width - lipgloss.Width(left) - lipgloss.Width(right)
	if gap < 1 {
		return cut(left, m.width)
	}
	return left + strings.Repeat(" ", gap) + right
}

func (m *model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "mtlswb"
	return v
}

func (m *model) render() string {
	st := &m.sh.styles
	var body string
	var helpKeys help.KeyMap = m.sh.keys
	switch {
	case m.state == stateLoading:
		body = "opening " + safetext.Line(m.opts.WorkspacePath) + " …"
	case m.state == stateFirstRun:
		body = m.first.view()
		helpKeys = m.first.help()
	default:
		body = m.active().view()
		helpKeys = m.active().help()
	}
	if m.showHelp {
		body = m.fullHelp()
	}
	if m.modal != nil {
		box := lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(st.border.GetForeground()).Padding(0, 1)
		if st.plain {
			box = lipgloss.NewStyle().Border(lipgloss.NormalBorder()).Padding(0, 1)
		}
		body = lipgloss.Place(m.sh.width, m.sh.height, lipgloss.Center, lipgloss.Center, box.Render(m.modal.view(st, m.sh.width-4)))
	}
	body = clampBlock(body, m.sh.width, m.sh.height)
	status := m.status
	if m.unlocking {
		status = "unlocking …"
	}
	if m.statusBad {
		status = st.errLine.Render(cut(status, m.width))
	} else {
		status = st.info.Render(cut(status, m.width))
	}
	helpLine := m.helpModel.ShortHelpView(helpKeys.ShortHelp())
	top := m.tabBar()
	if m.guideLines() > 0 {
		top += "\n" + st.warn.Render(cut(m.sh.guide, m.width))
	}
	return top + "\n" + body + "\n" + status + "\n" + helpLine
}

func (m *model) fullHelp() string {
	st := &m.sh.styles
	var groups [][]key.Binding
	groups = append(groups, m.sh.keys.FullHelp()...)
	if m.state == stateReady {
		groups = append(groups, m.active().help().FullHelp()...)
	}
	var b strings.Builder
	b.WriteString(st.title.Render("Keys") + st.dim.Render("  (? or esc closes)") + "\n\n")
	if m.sh.guide != "" {
		for _, l := range wrapLines(m.sh.guide, m.sh.width) {
			b.WriteString(l + "\n")
		}
		b.WriteString("\n")
	}
	rows := max(m.sh.height-strings.Count(b.String(), "\n")-1, 4)
	b.WriteString(helpColumns(st, groups, rows, m.sh.width))
	return b.String()
}

// helpColumns lays every binding out top to bottom in as many columns as
// the height needs; bubbles' help draws one column per group, which runs
// off an 80-column terminal.
func helpColumns(st *styles, groups [][]key.Binding, rows, width int) string {
	type entry struct{ k, d string }
	var entries []entry
	seen := map[string]bool{}
	keyW := 0
	for _, g := range groups {
		for _, b := range g {
			h := b.Help()
			if !b.Enabled() || h.Key == "" || seen[h.Key+h.Desc] {
				continue
			}
			seen[h.Key+h.Desc] = true
			entries = append(entries, entry{h.Key, h.Desc})
			keyW = max(keyW, lipgloss.Width(h.Key))
		}
	}
	var cols [][]string
	for i := 0; i < len(entries); i += rows {
		var col []string
		for _, e := range entries[i:min(i+rows, len(entries))] {
			col = append(col, st.key.Render(fit(e.k, keyW))+"  "+st.dim.Render(e.d))
		}
		cols = append(cols, col)
	}
	var blocks []string
	for _, c := range cols {
		blocks = append(blocks, padLines(strings.Join(c, "\n"), 0)+"   ")
	}
	_ = width // render() cuts every line to the terminal width
	return lipgloss.JoinHorizontal(lipgloss.Top, blocks...)
}

// clampBlock makes s exactly h lines of at most w cells, so a screen that
// draws too much cannot push the status and help lines off the terminal.
func clampBlock(s string, w, h int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		if lipgloss.Width(l) > w {
			lines[i] = truncateStyled(l, w)
		}
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// truncateStyled cuts a styled line to w cells, keeping its escapes intact.
func truncateStyled(s string, w int) string { return ansi.Truncate(s, w, "") }
