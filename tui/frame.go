package tui

import (
	"fmt"
	"strings"

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
	// Clicks and the wheel; cell motion reports no bare movement, so an
	// idle mouse costs nothing.
	v.MouseMode = tea.MouseModeCellMotion
	// The window title is left alone: a title set here is blanked, not
	// restored, on exit by terminals that do not stack titles.
	return v
}

// stateKeys are the bindings of whatever has the keys now, the root's
// bindings pinned at the right of the help bar (never cut off), and the
// root's groups for the ? overlay. Everything help shows comes from here.
func (m *model) stateKeys() (ks keySet, pinned []key.Binding, globals [][]key.Binding) {
	if m.showHelp && m.modal == nil {
		return keySet{full: [][]key.Binding{helpOverlayKeys()}}, helpOverlayKeys(), [][]key.Binding{{m.sh.keys.ForceQuit}}
	}
	return m.keysUnderHelp()
}

// keysUnderHelp is stateKeys for the state the ? overlay describes.
func (m *model) keysUnderHelp() (ks keySet, pinned []key.Binding, globals [][]key.Binding) {
	gk := m.globalNow()
	force := []key.Binding{gk.ForceQuit}
	switch {
	case m.modal != nil:
		return m.modal.keySet(), force, [][]key.Binding{force}
	case m.palette != nil:
		return newPaletteKeys().set(), force, [][]key.Binding{force}
	case m.state == stateFirstRun:
		return m.first.keys(), nil, [][]key.Binding{force}
	case m.state != stateReady:
		return keySet{}, []key.Binding{gk.Quit}, [][]key.Binding{{gk.Quit, gk.ForceQuit}}
	case m.active().typing():
		// Letters are text here: q and ? type themselves.
		return m.active().keys(), force, [][]key.Binding{force}
	}
	ks = m.active().keys()
	if gk.Back.Enabled() {
		ks.short = append([]key.Binding{gk.Back}, ks.short...)
	}
	return ks, []key.Binding{gk.Palette, gk.Help, gk.Quit}, gk.groups()
}

func (m *model) render() string {
	st := &m.sh.styles
	var body string
	switch {
	case m.state == stateLoading:
		body = "opening " + safetext.Line(m.opts.WorkspacePath) + " …"
	case m.state == stateFirstRun:
		body = m.first.view()
	default:
		body = m.active().view()
	}
	ks, pinned, _ := m.stateKeys()
	if m.showHelp {
		uks, _, ug := m.keysUnderHelp()
		body = m.fullHelp(uks, ug)
	}
	if m.palette != nil {
		body = m.boxed(m.paletteView())
	}
	if m.modal != nil {
		w, h := m.modalBox()
		body = m.boxed(m.modal.view(st, w, h))
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
	top := m.tabBar()
	if m.guideLines() > 0 {
		top += "\n" + st.warn.Render(cut(m.sh.guide, m.width))
	}
	return top + "\n" + body + "\n" + status + "\n" + m.helpBar(ks, pinned)
}

// modalBox is the inner size of a modal: the body less the box's border
// and padding.
func (m *model) modalBox() (w, h int) {
	return max(m.sh.width-4, 10), max(m.sh.height-2, 1)
}

// boxed frames s in the middle of the body.
func (m *model) boxed(s string) string {
	st := &m.sh.styles
	box := lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(st.border.GetForeground()).Padding(0, 1)
	if st.plain {
		box = lipgloss.NewStyle().Border(lipgloss.NormalBorder()).Padding(0, 1)
	}
	return lipgloss.Place(m.sh.width, m.sh.height, lipgloss.Center, lipgloss.Center, box.Render(s))
}

// helpBar is the short help of the state, cut to fit, with the pinned
// root keys always whole at the right.
func (m *model) helpBar(ks keySet, pinned []key.Binding) string {
	st := &m.sh.styles
	right, rw := shortHelp(st, pinned, m.width)
	room := m.width
	if rw > 0 {
		room = m.width - rw - 3
	}
	left, lw := shortHelp(st, ks.short, room)
	if right == "" {
		return left
	}
	return left + strings.Repeat(" ", max(m.width-lw-rw, 1)) + right
}

// shortHelp draws "key desc • key desc" in at most w cells, ending in "…"
// where bindings were left out (bubbles' help overruns w when the ellipsis
// itself does not fit).
func shortHelp(st *styles, bindings []key.Binding, w int) (string, int) {
	const sep = " • "
	var b strings.Builder
	width := 0
	for _, kb := range bindings {
		h := kb.Help()
		if !kb.Enabled() || h.Key == "" {
			continue
		}
		iw := lipgloss.Width(h.Key) + 1 + lipgloss.Width(h.Desc)
		if width > 0 {
			iw += 3 // the width of sep
		}
		if width+iw > w {
			if width > 0 && width+2 <= w {
				b.WriteString(st.helpSep.Render(" …"))
				width += 2
			}
			break
		}
		if width > 0 {
			b.WriteString(st.helpSep.Render(sep))
		}
		b.WriteString(st.helpKey.Render(h.Key) + " " + st.helpDesc.Render(h.Desc))
		width += iw
	}
	return b.String(), width
}

// fullHelp is the ? overlay: the keys of the state under it, then the
// root's, in columns that fit the width.
func (m *model) fullHelp(ks keySet, globals [][]key.Binding) string {
	st := &m.sh.styles
	var b strings.Builder
	b.WriteString(st.title.Render("Keys") + st.dim.Render("  (? or esc closes · : lists every action)") + "\n\n")
	if m.sh.guide != "" {
		for _, l := range wrapLines(m.sh.guide, m.sh.width) {
			b.WriteString(l + "\n")
		}
		b.WriteString("\n")
	}
	rows := max(m.sh.height-strings.Count(b.String(), "\n"), 4)
	sections := []helpSection{{"Here", ks.full}, {"Everywhere", globals}}
	b.WriteString(helpColumns(st, sections, rows, m.sh.width))
	return b.String()
}

type helpSection struct {
	title  string
	groups [][]key.Binding
}

// helpColumns lays the bindings out top to bottom in as many columns as
// the height needs, each column exactly its share of the width, so no
// column runs into the next; bubbles' help draws one column per group,
// which runs off an 80-column terminal. What does not fit is counted.
func helpColumns(st *styles, sections []helpSection, rows, width int) string {
	type entry struct{ k, d, head string }
	var entries []entry
	seen := map[string]bool{}
	keyW := 0
	for _, sec := range sections {
		first := true
		for _, g := range sec.groups {
			for _, b := range g {
				h := b.Help()
				if !b.Enabled() || h.Key == "" || seen[h.Key+h.Desc] {
					continue
				}
				if first {
					entries = append(entries, entry{head: sec.title})
					first = false
				}
				seen[h.Key+h.Desc] = true
				entries = append(entries, entry{k: h.Key, d: h.Desc})
				keyW = max(keyW, lipgloss.Width(h.Key))
			}
		}
	}
	const gap, minCol = 2, 22
	ncols := max((len(entries)+rows-1)/rows, 1)
	maxCols := max((width+gap)/(minCol+gap), 1)
	hidden := 0
	if ncols > maxCols {
		ncols = maxCols
		if n := ncols * rows; n < len(entries) {
			hidden = len(entries) - (n - 1)
			entries = entries[:n-1]
		}
	}
	colW := min((width+gap)/ncols-gap, 44)
	keyW = min(keyW, colW/2)
	title, keyInk, dim := inkOf(st.title), inkOf(st.key), st.ink.dim
	// Every cell is fit to its column before it is painted, so the columns
	// join by concatenation.
	out := make([]string, rows)
	for c := 0; c < ncols; c++ {
		col := entries[min(c*rows, len(entries)):min((c+1)*rows, len(entries))]
		for r := range rows {
			cell := strings.Repeat(" ", colW)
			switch {
			case r < len(col) && col[r].head != "":
				cell = title.paint(fit(col[r].head, colW))
			case r < len(col):
				cell = keyInk.paint(fit(col[r].k, keyW)) + "  " + dim.paint(fit(col[r].d, colW-keyW-2))
			case r == len(col) && c == ncols-1 && hidden > 0:
				cell = dim.paint(fit(fmt.Sprintf("… %d more: press :", hidden), colW))
			}
			if c > 0 {
				out[r] += strings.Repeat(" ", gap)
			}
			out[r] += cell
		}
	}
	return strings.Join(out, "\n")
}

// clampBlock makes s exactly h lines of at most w cells, so a screen that
// draws too much cannot push the status and help lines off the terminal.
func clampBlock(s string, w, h int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		if textWidth(l) > w {
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
