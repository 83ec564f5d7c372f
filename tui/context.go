package tui

import (
	"context"
	"image/color"
	"strings"
	"time"

	"charm.land/bubbles/v2/textarea"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/workspace"
)

// shared is what every screen needs from the root: sizes, styles, keys, the
// engine and the clock. The root owns it and passes a pointer down explicitly,
// so there is one place that says how big the screen is and which theme is on.
type shared struct {
	width, height int // the body area a screen may draw in
	styles        styles
	keys          globalKeys
	now           func() time.Time
	engine        func(ctx context.Context, req tlsengine.Request) tlsengine.Report
	path          string
	store         *workspace.Store // nil until the workspace is open
	host          host
	startDemo     func() (string, func(), error)
	guide         string
	// pollEvery is how often the workspace generation is checked; zero
	// turns polling off (model tests drive every command themselves).
	pollEvery time.Duration
}

// host is what a screen may ask of the root: show a modal, get unlocked keys
// (asking for the passphrase when needed), report a result on the status line.
type host interface {
	openForm(f *form) tea.Cmd
	withKeys(then func(*workspace.Keys) tea.Cmd) tea.Cmd
	setInfo(s string)
	setError(err error)
}

// styles is built from the background brightness; plain drops every
// attribute so NO_COLOR output carries no escape sequence at all.
type styles struct {
	plain     bool
	title     lipgloss.Style
	tab       lipgloss.Style
	tabActive lipgloss.Style
	selected  lipgloss.Style
	dim       lipgloss.Style
	label     lipgloss.Style
	ok        lipgloss.Style
	warn      lipgloss.Style
	bad       lipgloss.Style
	loud      lipgloss.Style
	border    lipgloss.Style
	focus     lipgloss.Style
	key       lipgloss.Style
	errLine   lipgloss.Style
	info      lipgloss.Style
	helpKey   lipgloss.Style
	helpDesc  lipgloss.Style
	helpSep   lipgloss.Style
	// JSON bodies: keys, strings, numbers, literals (true, false, null).
	jsonKey, jsonString, jsonNumber, jsonLiteral lipgloss.Style
	match                                        lipgloss.Style
	bar                                          []lipgloss.Style
	// ink holds the escape sequences of the styles a list draws on every
	// row, so a row is painted by concatenation, not lipgloss.Render (which
	// measures its input: a tenth of a millisecond per row at 200 columns).
	ink struct{ selected, focus, label, bad, warn, ok, dim ink }
}

// ink is a style's opening and closing escape sequences, for one line of
// text that holds no escapes of its own.
type ink struct{ pre, post string }

func inkOf(s lipgloss.Style) ink {
	const mark = "\x00"
	r := s.Render(mark)
	i := strings.Index(r, mark)
	if i < 0 {
		return ink{}
	}
	return ink{pre: r[:i], post: r[i+len(mark):]}
}

func (k ink) paint(s string) string {
	if k.pre == "" && k.post == "" {
		return s
	}
	return k.pre + s + k.post
}

func (st *styles) setInk() {
	st.ink.selected, st.ink.focus, st.ink.label = inkOf(st.selected), inkOf(st.focus), inkOf(st.label)
	st.ink.bad, st.ink.warn, st.ink.ok, st.ink.dim = inkOf(st.bad), inkOf(st.warn), inkOf(st.ok), inkOf(st.dim)
}

func newStyles(isDark, plain bool) styles {
	if plain {
		s := lipgloss.NewStyle()
		st := styles{plain: true, title: s, tab: s, tabActive: s, selected: s, dim: s, label: s, ok: s, warn: s,
			bad: s, loud: s, border: s, focus: s, key: s, errLine: s, info: s,
			helpKey: s, helpDesc: s, helpSep: s, jsonKey: s, jsonString: s, jsonNumber: s, jsonLiteral: s, match: s}
		st.bar = []lipgloss.Style{s, s, s, s, s, s}
		st.setInk()
		return st
	}
	ld := lipgloss.LightDark(isDark)
	c := func(light, dark string) color.Color { return ld(lipgloss.Color(light), lipgloss.Color(dark)) }
	// Every pair here keeps a contrast of at least 3:1 on a light or a dark
	// background in true colour, 256 colours and 16 (TestPaletteContrast);
	// the dark accent is pink-violet because a 16-colour terminal turns a
	// bluer violet into blue, which is unreadable on black.
	accent := c("#5A3FC0", "#C792EA")
	base := lipgloss.NewStyle()
	st := styles{
		title:     base.Bold(true).Foreground(accent),
		tab:       base.Foreground(c("#6B6B6B", "#9A9A9A")),
		tabActive: base.Bold(true).Foreground(c("#FFFFFF", "#1A1A1A")).Background(accent),
		selected:  base.Bold(true).Foreground(c("#1A1A1A", "#FFFFFF")).Background(c("#E8E8E8", "#3E3470")),
		dim:       base.Foreground(c("#7A7A7A", "#8A8A8A")),
		label:     base.Bold(true).Foreground(c("#3A3A3A", "#C8C8C8")),
		ok:        base.Foreground(c("#11772E", "#5AD37A")),
		warn:      base.Foreground(c("#8A5A00", "#F2C14E")),
		bad:       base.Bold(true).Foreground(c("#B00020", "#FF6B6B")),
		loud:      base.Bold(true).Foreground(c("#FFFFFF", "#FFFFFF")).Background(c("#B00020", "#C62828")),
		border:    base.Foreground(c("#8C8C8C", "#6B6B6B")),
		focus:     base.Foreground(accent),
		key:       base.Bold(true).Foreground(accent),
		errLine:   base.Bold(true).Foreground(c("#B00020", "#FF6B6B")),
		info:      base.Foreground(c("#11772E", "#5AD37A")),
		helpKey:   base.Foreground(c("#4A4A4A", "#A8A8A8")),
		helpDesc:  base.Foreground(c("#6B6B6B", "#8A8A8A")),
		helpSep:   base.Foreground(c("#6B6B6B", "#8A8A8A")),

		jsonKey:     base.Foreground(accent),
		jsonString:  base.Foreground(c("#11772E", "#5AD37A")),
		jsonNumber:  base.Foreground(c("#0B5CAD", "#4DB6AC")),
		jsonLiteral: base.Foreground(c("#8A5A00", "#F2C14E")),
		match:       base.Bold(true).Foreground(c("#FFFFFF", "#1A1A1A")).Background(c("#8A5A00", "#F2C14E")),
	}
	light := []string{"#1565C0", "#E65100", "#BF360C", "#00838F", "#2E7D32", "#8E24AA"}
	dark := []string{"#4DB6AC", "#FFB74D", "#E57373", "#9E9E9E", "#66BB6A", "#C792EA"}
	for i := range light {
		st.bar = append(st.bar, base.Foreground(c(light[i], dark[i])))
	}
	st.setInk()
	return st
}

// themeInput gives an input the theme's colours (bubbles' defaults are
// fixed greys: white text on a light background) and a steady cursor: a
// blinking one redraws the screen twice a second forever, and a steady
// one reads just as well.
func themeInput(in *textinput.Model, st *styles) {
	s := in.Styles()
	s.Cursor.Blink = false
	s.Cursor.Color = st.focus.GetForeground()
	for _, ss := range []*textinput.StyleState{&s.Focused, &s.Blurred} {
		ss.Text = lipgloss.NewStyle()
		ss.Placeholder, ss.Prompt, ss.Suggestion = st.dim, st.dim, st.dim
	}
	in.SetStyles(s)
}

func themeArea(a *textarea.Model, st *styles) {
	s := a.Styles()
	s.Cursor.Blink = false
	s.Cursor.Color = st.focus.GetForeground()
	for _, ss := range []*textarea.StyleState{&s.Focused, &s.Blurred} {
		ss.Base, ss.Text, ss.CursorLine = lipgloss.NewStyle(), lipgloss.NewStyle(), lipgloss.NewStyle()
		ss.Placeholder, ss.Prompt, ss.EndOfBuffer = st.dim, st.dim, st.dim
		ss.LineNumber, ss.CursorLineNumber = st.dim, st.dim
	}
	a.SetStyles(s)
}

// placeholder marks a placeholder as one when colour cannot: with NO_COLOR
// a grey "https://…" would read as a value typed in, ‹https://…› does not.
func placeholder(st *styles, text string) string {
	if st.plain && text != "" {
		return "‹" + text + "›"
	}
	return text
}
