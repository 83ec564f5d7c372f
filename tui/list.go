package tui

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// badgeKind picks a badge's colour.
type badgeKind int

const (
	badgeBad badgeKind = iota
	badgeWarn
	badgeOK
	badgeDim
)

type badge struct {
	text string
	kind badgeKind
}

// row is one list line, prepared once when the data arrives: text is already
// sanitized and laid out in columns, hay is its lower-cased search form. View
// only cuts and styles the handful of rows that show.
type row struct {
	key    string
	text   string   // the row as one text, for lists without columns
	cells  []string // one per column, for lists with columns
	hay    string
	badges []badge
	mark   string // a one-cell marker drawn before the text ("*" marked, "✓" accepted)
}

// listKeys move the cursor of a list; every list screen embeds them.
type listKeys struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
}

func newListKeys() listKeys {
	return listKeys{
		Up:       upKey("up"),
		Down:     downKey("down"),
		PageUp:   pageUpKey(),
		PageDown: pageDownKey(),
		Top:      bindKeys("g/home", "top", "home", "g"),
		Bottom:   bindKeys("G/end", "bottom", "end", "G"),
	}
}

func (k listKeys) help() []key.Binding {
	return []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}
}

// off is k with every binding disabled (while a filter is typed).
func (k listKeys) off() listKeys {
	disable(&k.Up, &k.Down, &k.PageUp, &k.PageDown, &k.Top, &k.Bottom)
	return k
}

// scrolling is k as a detail pane uses it: the same keys scroll.
func (k listKeys) scrolling() listKeys {
	k.Up, k.Down = said(k.Up, "scroll up"), said(k.Down, "scroll down")
	return k
}

// step is how far a navigation key moves, in rows: page is a window's height
// and all the length of what it shows (so top and bottom are steps too).
func (k listKeys) step(msg tea.KeyPressMsg, page, all int) (int, bool) {
	switch {
	case key.Matches(msg, k.Up):
		return -1, true
	case key.Matches(msg, k.Down):
		return 1, true
	case key.Matches(msg, k.PageUp):
		return -page, true
	case key.Matches(msg, k.PageDown):
		return page, true
	case key.Matches(msg, k.Top):
		return -all, true
	case key.Matches(msg, k.Bottom):
		return all, true
	}
	return 0, false
}

// navigate moves l for a navigation key and reports whether msg was one.
func (k listKeys) navigate(l *winList, msg tea.KeyPressMsg) bool {
	d, ok := k.step(msg, l.rowsHeight(), len(l.visible))
	if ok {
		l.move(d) // move clamps, so ±all lands on the first or last row
	}
	return ok
}

// scroll moves a viewport (a detail pane) for a navigation key and reports
// whether msg was one.
func (k listKeys) scroll(vp *viewport.Model, msg tea.KeyPressMsg) bool {
	d, ok := k.step(msg, vp.Height(), vp.TotalLineCount())
	switch {
	case d > 0:
		vp.ScrollDown(d) // the viewport clamps at its last line
	case d < 0:
		vp.ScrollUp(-d)
	}
	return ok
}

// winList is a list that renders only the rows in its window. bubbles' list
// renders a page and its dots paginator is quadratic in the page count (100k
// items cost 279 ms per View); this one costs the same at 100 or 100,000 rows.
type winList struct {
	rows    []row
	visible []int // indices into rows that pass the filter, in display order
	cursor  int   // index into visible
	offset  int   // first visible row drawn
	width   int
	height  int
	filter  string
	empty   string // what to show when nothing is visible

	// cols, when set, lay rows out in columns under a header line; the
	// header is one of the height's lines.
	cols     []column
	natural  []int
	badgeW   int // the widest row's badges, kept clear of the columns
	widths   []int
	sortCol  int
	sortDesc bool
}

// rowsHeight is how many rows show: the height less the header.
func (l *winList) rowsHeight() int {
	if len(l.cols) > 0 {
		return max(l.height-1, 1)
	}
	return l.height
}

// relayout sizes the columns for the width and the rows held.
func (l *winList) relayout() {
	if len(l.cols) == 0 {
		return
	}
	if len(l.natural) != len(l.cols) {
		l.natural, l.badgeW = measure(l.cols, l.rows)
	}
	avail := l.width - 3
	if l.badgeW <= avail/2 {
		avail -= l.badgeW
	}
	l.widths = layout(l.cols, l.natural, avail)
}

func (l *winList) setRows(rows []row) {
	cur := l.selectedKey()
	l.rows = rows
	l.natural = nil
	l.relayout()
	l.applyFilter()
	l.selectKey(cur)
}

func (l *winList) setSize(w, h int) {
	l.width, l.height = w, max(h, 1)
	l.relayout()
	l.clamp()
}

// setFilter filters with a case-insensitive substring match over the
// prepared hay: 10k rows take well under a millisecond, so it runs in Update.
func (l *winList) setFilter(f string) {
	cur := l.selectedKey()
	l.filter = f
	l.applyFilter()
	l.selectKey(cur)
}

func (l *winList) applyFilter() {
	l.visible = l.visible[:0]
	needle := strings.ToLower(strings.TrimSpace(l.filter))
	for i := range l.rows {
		if needle == "" || strings.Contains(l.rows[i].hay, needle) {
			l.visible = append(l.visible, i)
		}
	}
	l.clamp()
}

func (l *winList) selectKey(k string) {
	if k == "" {
		return
	}
	for i, idx := range l.visible {
		if l.rows[idx].key == k {
			l.cursor = i
			l.clamp()
			return
		}
	}
}

func (l *winList) selectedKey() string {
	if r := l.selected(); r != nil {
		return r.key
	}
	return ""
}

func (l *winList) selected() *row {
	if l.cursor < 0 || l.cursor >= len(l.visible) {
		return nil
	}
	return &l.rows[l.visible[l.cursor]]
}

func (l *winList) move(delta int) {
	l.cursor += delta
	l.clamp()
}

func (l *winList) clamp() {
	if l.cursor >= len(l.visible) {
		l.cursor = len(l.visible) - 1
	}
	if l.cursor < 0 {
		l.cursor = 0
	}
	if l.cursor < l.offset {
		l.offset = l.cursor
	}
	h := l.rowsHeight()
	if h > 0 && l.cursor >= l.offset+h {
		l.offset = l.cursor - h + 1
	}
	if maxOff := len(l.visible) - h; l.offset > maxOff {
		l.offset = max(maxOff, 0)
	}
}

// position says "12/340" for the status line.
func (l *winList) position() string {
	if len(l.visible) == 0 {
		return "0/" + strconv.Itoa(len(l.rows))
	}
	s := strconv.Itoa(l.cursor+1) + "/" + strconv.Itoa(len(l.visible))
	if len(l.visible) != len(l.rows) {
		s += " of " + strconv.Itoa(len(l.rows))
	}
	return s
}

func (l *winList) view(st *styles, focused bool) string {
	var b strings.Builder
	lines := 0
	if len(l.cols) > 0 {
		b.WriteString(st.ink.label.paint(fit("   "+joinCells(header(l.cols, l.widths, l.sortCol, l.sortDesc), l.cols, l.widths), l.width)))
		lines++
	}
	if len(l.visible) == 0 {
		if lines > 0 {
			b.WriteByte('\n')
		}
		empty := l.empty
		if l.filter != "" && len(l.rows) > 0 {
			// Not "nothing here yet": there is, the filter hides it.
			empty = "no match for “" + safetext.Line(l.filter) + "” (esc clears the filter)"
		}
		b.WriteString(st.ink.dim.paint(fit(empty, l.width)))
		lines++
		for ; lines < l.height; lines++ {
			b.WriteByte('\n')
		}
		return b.String()
	}
	end := min(l.offset+l.rowsHeight(), len(l.visible))
	for i := l.offset; i < end; i++ {
		if lines > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l.renderRow(st, &l.rows[l.visible[i]], i == l.cursor, focused))
		lines++
	}
	for ; lines < l.height; lines++ {
		b.WriteByte('\n')
	}
	return b.String()
}

func (l *winList) renderRow(st *styles, r *row, sel, focused bool) string {
	pointer := "  "
	if sel {
		pointer = "> "
	}
	mark := r.mark
	if mark == "" {
		mark = " "
	}
	badgeText := ""
	bw := 0
	for _, bd := range r.badges {
		bw += 1 + lipgloss.Width(bd.text)
	}
	avail := l.width - 3
	if bw > avail/2 {
		bw = 0 // too narrow for badges: the detail pane still shows them
	} else {
		for _, bd := range r.badges {
			badgeText += " " + badgeInk(st, bd.kind).paint(bd.text)
		}
	}
	var text string
	if len(l.cols) > 0 {
		text = fit(joinCells(r.cells, l.cols, l.widths), avail-bw)
	} else {
		text = fit(r.text, avail-bw)
	}
	line := text + badgeText
	switch {
	case sel && focused:
		return st.ink.selected.paint(pointer+mark+text) + badgeText
	case sel:
		return st.ink.focus.paint(pointer+mark) + text + badgeText
	default:
		return pointer + mark + line
	}
}

func badgeInk(st *styles, k badgeKind) ink {
	switch k {
	case badgeBad:
		return st.ink.bad
	case badgeWarn:
		return st.ink.warn
	case badgeOK:
		return st.ink.ok
	}
	return st.ink.dim
}

// textWidth is lipgloss.Width with a fast path for what nearly every name,
// date and frame line is: printable ASCII and the few symbols the UI draws
// (box lines, arrows, ticks), styled with SGR sequences. Grapheme
// segmentation of 100k rows costs more than everything else in a load, and
// of every frame line more than drawing it; anything else (a wide or
// combining character, another escape) takes lipgloss's path.
func textWidth(s string) int {
	w := 0
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c >= 0x20 && c < 0x7f:
			w++
			i++
		case c == 0x1b && i+1 < len(s) && s[i+1] == '[':
			j := i + 2
			for j < len(s) && (s[j] < 0x40 || s[j] > 0x7e) {
				j++
			}
			i = j + 1
		case c < 0x80:
			return lipgloss.Width(s)
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if !narrowSymbol(r) {
				return lipgloss.Width(s)
			}
			w++
			i += size
		}
	}
	return w
}

// narrowSymbol reports whether r is one of the one-cell symbols the UI
// itself draws (never followed by a combining mark in its own text).
func narrowSymbol(r rune) bool {
	switch {
	case r >= 0x2500 && r <= 0x259F: // box drawing and blocks: │ └ ─ █
		return true
	case r >= 0x2190 && r <= 0x2193: // ← ↑ → ↓
		return true
	}
	return strings.ContainsRune("·…—‹›“”◂▸▲▼●•✓✗≠", r)
}

// fit cuts or pads plain text to exactly w cells.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	sw := textWidth(s)
	if sw > w {
		ascii := sw == len(s)
		s = truncate(s, w)
		// Cut ASCII is exactly w cells ("…" is one); measuring it again
		// would take the slow grapheme path for the ellipsis alone.
		if ascii {
			sw = w
		} else {
			sw = textWidth(s)
		}
	}
	if sw < w {
		s += strings.Repeat(" ", w-sw)
	}
	return s
}

// cut shortens plain text to at most w cells without padding.
func cut(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if textWidth(s) > w {
		return truncate(s, w)
	}
	return s
}

// truncate cuts s to w cells ending in "…", slicing directly when s is
// printable ASCII (one byte, one cell).
func truncate(s string, w int) string {
	if textWidth(s) == len(s) {
		return s[:w-1] + "…"
	}
	return ansi.Truncate(s, w, "…")
}

// padCol pads s to w cells for column layout (prepared once per row).
func padCol(s string, w int) string {
	return fit(s, w)
}
