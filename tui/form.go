package tui

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// fieldKind says how a form field takes input.
type fieldKind int

const (
	fieldText fieldKind = iota
	fieldSecret
	fieldPath   // text with tab completion of file names
	fieldChoice // one of choices, cycled with left/right
)

type formField struct {
	label   string
	kind    fieldKind
	input   textinput.Model
	choices []string
	choice  int
}

func (f *formField) value() string {
	if f.kind == fieldChoice {
		if len(f.choices) == 0 {
			return ""
		}
		return f.choices[f.choice]
	}
	return f.input.Value()
}

// form is the one modal the root shows over any screen: prompts for names,
// paths and passphrases, and yes/no confirmations (no fields). submit turns
// the values into a command; an error keeps the form open and shows it.
type form struct {
	id      int
	title   string
	lines   []string // explanation shown above the fields (already safe)
	fields  []formField
	focus   int
	err     string
	confirm bool
	// yes and no replace a confirmation's keys (default y/enter and
	// n/esc/q); quitting takes q as yes, so q q quits.
	yes, no []string
	submit  func(vals []string) (tea.Cmd, error)
	cancel  func() tea.Cmd
}

var formSeq int

func newForm(title string, lines ...string) *form {
	formSeq++
	return &form{id: formSeq, title: title, lines: lines}
}

func (f *form) addText(label, value, placeholder string) *form {
	return f.add(label, fieldText, value, placeholder)
}

func (f *form) addSecret(label string) *form {
	return f.add(label, fieldSecret, "", "")
}

func (f *form) addPath(label, value string) *form {
	return f.add(label, fieldPath, value, "path (tab completes)")
}

func (f *form) addChoice(label string, choices ...string) *form {
	f.fields = append(f.fields, formField{label: label, kind: fieldChoice, choices: choices})
	return f
}

func (f *form) add(label string, kind fieldKind, value, placeholder string) *form {
	in := textinput.New()
	in.Prompt = ""
	in.Placeholder = placeholder
	in.SetValue(value)
	in.CharLimit = 4096
	if kind == fieldSecret {
		in.EchoMode = textinput.EchoPassword
		in.EchoCharacter = '•'
	}
	// Tab moves between fields; completion is ours, not the suggestion list's.
	in.KeyMap.AcceptSuggestion.SetEnabled(false)
	// The theme comes with the first view; the cursor is steady from the
	// start, or focusing would start it blinking.
	is := in.Styles()
	is.Cursor.Blink = false
	in.SetStyles(is)
	f.fields = append(f.fields, formField{label: label, kind: kind, input: in})
	return f
}

func (f *form) init() tea.Cmd {
	return f.focusField(0)
}

func (f *form) focusField(i int) tea.Cmd {
	if len(f.fields) == 0 {
		return nil
	}
	for j := range f.fields {
		f.fields[j].input.Blur()
	}
	f.focus = (i + len(f.fields)) % len(f.fields)
	if f.fields[f.focus].kind == fieldChoice {
		return nil
	}
	f.fields[f.focus].input.CursorEnd()
	return f.fields[f.focus].input.Focus()
}

func (f *form) values() []string {
	out := make([]string, len(f.fields))
	for i := range f.fields {
		out[i] = f.fields[i].value()
	}
	return out
}

// completionFoundMsg carries the result of a path completion run in a command
// (listing a directory is I/O).
type completionFoundMsg struct {
	form  int
	field int
	from  string
	value string
	note  string
}

func completePathCmd(formID, field int, typed string) tea.Cmd {
	return func() tea.Msg {
		value, note := completePath(typed)
		return completionFoundMsg{form: formID, field: field, from: typed, value: value, note: note}
	}
}

// completePath extends typed to the longest common prefix of the matching
// names in its directory, like a shell does.
func completePath(typed string) (string, string) {
	expanded := typed
	if strings.HasPrefix(expanded, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			expanded = filepath.Join(home, expanded[2:])
		}
	}
	dir, prefix := filepath.Split(expanded)
	listDir := dir
	if listDir == "" {
		listDir = "."
	}
	entries, err := os.ReadDir(listDir)
	if err != nil {
		return typed, "cannot list " + safetext.Line(listDir)
	}
	var matches []string
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, prefix) || (strings.HasPrefix(name, ".") && !strings.HasPrefix(prefix, ".")) {
			continue
		}
		if e.IsDir() {
			name += string(filepath.Separator)
		}
		matches = append(matches, name)
	}
	if len(matches) == 0 {
		return typed, "no match"
	}
	sort.Strings(matches)
	common := matches[0]
	for _, m := range matches[1:] {
		for !strings.HasPrefix(m, common) {
			common = common[:len(common)-1]
		}
	}
	// Keep what the user typed (~/ stays ~/) and append only the new part.
	completed := typed + strings.TrimPrefix(common, prefix)
	note := ""
	if len(matches) > 1 {
		shown := matches
		if len(shown) > 6 {
			shown = append(shown[:6:6], "…")
		}
		note = safetext.Line(strings.Join(shown, "  "))
	}
	return completed, note
}

// formKeys are the bindings of the field in focus (or of a confirmation).
type formKeys struct {
	Yes, No, Enter, Tab, Down, Prev, Cycle, Cancel key.Binding
}

// keys are the form's bindings as they stand: a confirmation answers yes
// or no; a field moves on, and a choice field cycles.
func (f *form) keys() formKeys {
	yes, no := f.yes, f.no
	if len(yes) == 0 {
		yes = []string{"y", "Y", "enter"}
	}
	if len(no) == 0 {
		no = []string{"n", "N", "esc", "q"}
	}
	k := formKeys{
		Yes:    bindKeys(helpName(yes), "confirm", yes...),
		No:     bindKeys(helpName(no), "cancel", no...),
		Enter:  bind("enter", "next field"),
		Tab:    bind("tab", "next field"),
		Down:   bind("down", "next field"),
		Prev:   bindKeys("shift+tab/↑", "previous field", "shift+tab", "up"),
		Cycle:  bindKeys("←/→/space", "change choice", "left", "right", "h", "l", "space"),
		Cancel: bind("esc", "cancel"),
	}
	if f.confirm {
		disable(&k.Enter, &k.Tab, &k.Down, &k.Prev, &k.Cycle, &k.Cancel)
		return k
	}
	k.Yes.SetEnabled(false)
	k.No.SetEnabled(false)
	n := len(f.fields)
	k.Tab = on(k.Tab, n > 1 || (n == 1 && f.fields[0].kind == fieldPath))
	k.Down = on(k.Down, n > 1)
	k.Prev = on(k.Prev, n > 1)
	if n == 0 || f.focus == n-1 {
		k.Enter = said(k.Enter, "submit")
	}
	k.Cycle = on(k.Cycle, n > 0 && f.fields[f.focus].kind == fieldChoice)
	if n > 0 && f.fields[f.focus].kind == fieldPath {
		k.Tab = said(k.Tab, "complete path")
	}
	return k
}

// helpName shows a set of keys the way help does: "y/Y/enter" becomes
// "y/enter".
func helpName(keys []string) string {
	var out []string
	for _, k := range keys {
		if len(k) == 1 && k != strings.ToLower(k) && slices.Contains(keys, strings.ToLower(k)) {
			continue
		}
		out = append(out, k)
	}
	return strings.Join(out, "/")
}

func (f *form) keySet() keySet {
	k := f.keys()
	return keySet{
		short: []key.Binding{k.Yes, k.No, k.Enter, k.Cycle, k.Cancel, k.Tab, k.Prev},
		full:  [][]key.Binding{{k.Yes, k.No, k.Enter, k.Tab, k.Down, k.Prev, k.Cycle, k.Cancel}},
	}
}

func (f *form) update(msg tea.Msg) (done bool, cmd tea.Cmd) {
	switch msg := msg.(type) {
	case completionFoundMsg:
		if msg.form == f.id && msg.field < len(f.fields) && f.fields[msg.field].input.Value() == msg.from {
			f.fields[msg.field].input.SetValue(msg.value)
			f.fields[msg.field].input.CursorEnd()
			f.err = msg.note
		}
		return false, nil
	case tea.KeyPressMsg:
		k := f.keys()
		switch {
		case key.Matches(msg, k.Yes):
			return f.doSubmit()
		case key.Matches(msg, k.No), key.Matches(msg, k.Cancel):
			return true, f.doCancel()
		case f.confirm:
			return false, nil
		case key.Matches(msg, k.Enter):
			if f.focus < len(f.fields)-1 {
				return false, f.focusField(f.focus + 1)
			}
			return f.doSubmit()
		case key.Matches(msg, k.Tab):
			if fl := &f.fields[f.focus]; fl.kind == fieldPath {
				return false, completePathCmd(f.id, f.focus, fl.input.Value())
			}
			return false, f.focusField(f.focus + 1)
		case key.Matches(msg, k.Down):
			return false, f.focusField(f.focus + 1)
		case key.Matches(msg, k.Prev):
			return false, f.focusField(f.focus - 1)
		case key.Matches(msg, k.Cycle):
			fl := &f.fields[f.focus]
			if msg.String() == "left" || msg.String() == "h" {
				fl.choice = (fl.choice + len(fl.choices) - 1) % len(fl.choices)
			} else {
				fl.choice = (fl.choice + 1) % len(fl.choices)
			}
			return false, nil
		}
		if len(f.fields) == 0 || f.fields[f.focus].kind == fieldChoice {
			return false, nil
		}
		var c tea.Cmd
		fl := &f.fields[f.focus]
		fl.input, c = fl.input.Update(msg)
		return false, c
	case tea.PasteMsg:
		if len(f.fields) > 0 && f.fields[f.focus].kind != fieldChoice {
			var c tea.Cmd
			f.fields[f.focus].input, c = f.fields[f.focus].input.Update(msg)
			return false, c
		}
	}
	if len(f.fields) > 0 && f.fields[f.focus].kind != fieldChoice {
		var c tea.Cmd
		f.fields[f.focus].input, c = f.fields[f.focus].input.Update(msg)
		return false, c
	}
	return false, nil
}

func (f *form) doSubmit() (bool, tea.Cmd) {
	if f.submit == nil {
		return true, nil
	}
	cmd, err := f.submit(f.values())
	if err != nil {
		f.err = safetext.Line(err.Error())
		return false, nil
	}
	return true, cmd
}

func (f *form) doCancel() tea.Cmd {
	if f.cancel != nil {
		return f.cancel()
	}
	return nil
}

// view draws the form in at most width×height cells. A form taller than
// that scrolls so the field in focus shows, with a marker on each side
// that has more (a 40×12 terminal still shows every field in turn).
func (f *form) view(st *styles, width, height int) string {
	w := min(max(width, 16), 76)
	lines := []string{st.title.Render(cut(f.title, w))}
	for _, l := range f.lines {
		lines = append(lines, wrapLines(l, w)...)
	}
	labelW := 0
	for _, fl := range f.fields {
		labelW = max(labelW, len(fl.label))
	}
	labelW = min(labelW, w/3)
	focusLine := len(lines) - 1
	for i := range f.fields {
		fl := &f.fields[i]
		pointer := "  "
		if i == f.focus {
			pointer = st.focus.Render("> ")
			focusLine = len(lines)
		}
		label := st.label.Render(fit(fl.label, labelW))
		var val string
		if fl.kind == fieldChoice {
			val = cut("◂ "+fl.value()+" ▸", max(w-labelW-4, 4))
		} else {
			if st.plain && fl.input.Placeholder != "" && !strings.HasPrefix(fl.input.Placeholder, "‹") {
				fl.input.Placeholder = placeholder(st, fl.input.Placeholder)
			}
			themeInput(&fl.input, st) // forms are made without the styles
			fl.input.SetWidth(max(w-labelW-5, 4))
			val = fl.input.View()
		}
		lines = append(lines, pointer+label+"  "+val)
	}
	if f.err != "" {
		for _, l := range wrapLines(f.err, w) {
			lines = append(lines, st.errLine.Render(l))
		}
		if f.confirm || len(f.fields) == 0 {
			focusLine = len(lines) - 1
		}
	}
	if f.confirm {
		lines = append(lines, st.dim.Render(cut(helpName(f.keys().Yes.Keys())+" confirm · "+helpName(f.keys().No.Keys())+" cancel", w)))
		focusLine = len(lines) - 1
	}
	return strings.Join(windowLines(st, lines, focusLine, focusLine, height), "\n")
}

// windowStart is the first of n lines a window of h shows so that lines
// top to bottom are in view with a line of context, clear of the markers;
// a block taller than the window shows its first lines.
func windowStart(n, top, bottom, h int) int {
	if h <= 0 || n <= h {
		return 0
	}
	if h < 3 {
		return min(max(top-h+1, 0), n-h)
	}
	bottom = min(max(bottom, top), top+h-3)
	lo := 0
	if bottom+2 > h {
		lo = min(bottom+2-h, n-h)
	}
	if lo > 0 && lo >= top {
		lo = max(top-1, 0)
	}
	return lo
}

// windowLines shows at most h of lines, keeping lines top to bottom (the
// field in focus) in view, and saying on the first and last line shown
// when more lies above or below.
func windowLines(st *styles, lines []string, top, bottom, h int) []string {
	if h <= 0 || len(lines) <= h {
		return lines
	}
	lo := windowStart(len(lines), top, bottom, h)
	if h < 3 {
		return lines[lo : lo+h]
	}
	out := append([]string(nil), lines[lo:lo+h]...)
	if lo > 0 {
		out[0] = st.dim.Render(fmt.Sprintf("↑ %d more above", lo+1))
	}
	if below := len(lines) - (lo + h); below > 0 {
		out[h-1] = st.dim.Render(fmt.Sprintf("↓ %d more below", below+1))
	}
	return out
}

// wrapLines wraps plain text to w cells, keeping existing line breaks and
// breaking words longer than a line.
func wrapLines(s string, w int) []string {
	if w <= 0 {
		return strings.Split(s, "\n")
	}
	return strings.Split(ansi.Wrap(s, w, ""), "\n")
}
