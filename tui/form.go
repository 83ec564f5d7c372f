package tui

import (
	"os"
	"path/filepath"
	"sort"
	"strings"

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
	steadyInput(&in)
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
		k := msg.String()
		if f.confirm {
			switch k {
			case "y", "Y", "enter":
				return f.doSubmit()
			case "n", "N", "esc", "q":
				return true, f.doCancel()
			}
			return false, nil
		}
		switch k {
		case "esc":
			return true, f.doCancel()
		case "enter":
			if f.focus < len(f.fields)-1 {
				return false, f.focusField(f.focus + 1)
			}
			return f.doSubmit()
		case "tab":
			if len(f.fields) > 0 && f.fields[f.focus].kind == fieldPath {
				fl := &f.fields[f.focus]
				return false, completePathCmd(f.id, f.focus, fl.input.Value())
			}
			return false, f.focusField(f.focus + 1)
		case "down":
			return false, f.focusField(f.focus + 1)
		case "shift+tab", "up":
			return false, f.focusField(f.focus - 1)
		}
		if len(f.fields) == 0 {
			return false, nil
		}
		fl := &f.fields[f.focus]
		if fl.kind == fieldChoice {
			switch k {
			case "left", "h":
				fl.choice = (fl.choice + len(fl.choices) - 1) % len(fl.choices)
			case "right", "l", "space":
				fl.choice = (fl.choice + 1) % len(fl.choices)
			}
			return false, nil
		}
		var c tea.Cmd
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

func (f *form) view(st *styles, width int) string {
	w := min(max(width-4, 20), 76)
	var b strings.Builder
	b.WriteString(st.title.Render(cut(f.title, w)))
	b.WriteString("\n")
	for _, l := range f.lines {
		for _, wl := range wrapLines(l, w) {
			b.WriteString(wl + "\n")
		}
	}
	labelW := 0
	for _, fl := range f.fields {
		labelW = max(labelW, len(fl.label))
	}
	for i := range f.fields {
		fl := &f.fields[i]
		pointer := "  "
		if i == f.focus {
			pointer = st.focus.Render("> ")
		}
		label := st.label.Render(fit(fl.label, labelW))
		var val string
		if fl.kind == fieldChoice {
			val = "◂ " + fl.value() + " ▸"
		} else {
			fl.input.SetWidth(max(w-labelW-4, 8))
			val = fl.input.View()
		}
		b.WriteString(pointer + label + "  " + val + "\n")
	}
	if f.err != "" {
		b.WriteString(st.errLine.Render(cut(f.err, w)) + "\n")
	}
	if f.confirm {
		b.WriteString(st.dim.Render("y/enter confirm · n/esc cancel"))
	} else {
		b.WriteString(st.dim.Render("enter next/submit · tab next · esc cancel"))
	}
	return b.String()
}

// wrapLines wraps plain text to w cells, keeping existing line breaks and
// breaking words longer than a line.
func wrapLines(s string, w int) []string {
	if w <= 0 {
		return strings.Split(s, "\n")
	}
	return strings.Split(ansi.Wrap(s, w, ""), "\n")
}
