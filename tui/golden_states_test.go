package tui

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"
)

// goldenFocusStates are the focus states TestGoldenScreens does not show
// (each shows alice where a detail shows: the workspace checks chains at
// the real time, and alice stays valid for years):
// filters typed, the narrow detail, the composer's typed method and its
// request as sent, the pickers, a search, forms, the palette.
var goldenFocusStates = []focusState{
	{name: "filter-typing", setup: []string{"/", "a", "l"}},
	{name: "filter-no-match", setup: []string{"/", "z", "z", "z"}},
	{name: "detail-focused", setup: []string{"enter", "down"}},
	{name: "composer-method-typing", setup: []string{"3", "h", "t", "t", "p", "s", ":", "/", "/", "x", "esc", "up", "enter"}},
	{name: "composer-as-sent", setup: []string{"3", "h", "t", "t", "p", "s", ":", "/", "/", "x", "esc", "v"}},
	{name: "identity-picker", setup: []string{"3", "tab", "tab", "tab", "enter"}},
	{name: "trust-picker", setup: []string{"3", "tab", "tab", "tab", "tab", "enter"}},
	{name: "inspector-search", setup: []string{"4", "enter", "/", "i", "d", "enter"}},
	{name: "rename-form", setup: []string{"r"}},
	{name: "import-form", setup: []string{"i"}},
	{name: "new-ca-form", setup: []string{"2", "N"}},
	{name: "delete-confirmation", setup: []string{"d"}},
	{name: "palette", setup: []string{":"}},
	{name: "quit-confirmation", setup: []string{"3", "h", "t", "t", "p", "s", ":", "/", "/", "x", "esc", "q"}},
}

// TestGoldenFocusStates renders each focus state at 80x24, 120x40 and
// 200x60, ANSI-stripped.
func TestGoldenFocusStates(t *testing.T) {
	lab := newKeyLab(t)
	for _, fs := range goldenFocusStates {
		for _, size := range goldenSizes {
			t.Run(fmt.Sprintf("%s/%dx%d", fs.name, size.w, size.h), func(t *testing.T) {
				fs.w, fs.h = size.w, size.h
				m := lab.model(fs)
				got := lab.mask(plainView(m))
				if n := strings.Count(got, "\n") + 1; n != size.h {
					t.Fatalf("frame has %d lines, want %d:\n%s", n, size.h, got)
				}
				for i, l := range strings.Split(got, "\n") {
					if w := lipgloss.Width(l); w > size.w {
						t.Fatalf("line %d is %d cells wide:\n%s", i, w, got)
					}
				}
				golden.RequireEqual(t, []byte(got))
			})
		}
	}
}

// TestGoldenThemes runs the whole program (teatest) on a dark and on a
// light background and keeps the frame with its colours, as a 256-colour
// terminal gets them, so a theme change shows in review.
func TestGoldenThemes(t *testing.T) {
	lab := newKeyLab(t)
	themes := map[string]string{"dark": "#1C1C1C", "light": "#FFFFFF"}
	states := map[string][]string{
		"identities": nil,
		"composer":   {"3", "h", "t", "t", "p", "s", ":", "/", "/", "x", "esc"},
		"history":    {"4"},
		"help":       {"?"},
	}
	for theme, bg := range themes {
		for state, keys := range states {
			t.Run(theme+"/"+state, func(t *testing.T) {
				m := newTestModel(t, lab.path, nil)
				tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(80, 24),
					teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.ANSI256)))
				tm.Send(tea.BackgroundColorMsg{Color: lipgloss.Color(bg)})
				waitOutput(t, tm, "alice")
				for _, k := range keys {
					tm.Send(keyMsg(k))
				}
				tm.Send(keyMsg("ctrl+c"))
				fm := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*model)
				if fm.isDark != (theme == "dark") {
					t.Fatalf("theme %s: isDark %v", theme, fm.isDark)
				}
				var out bytes.Buffer
				w := &colorprofile.Writer{Forward: &out, Profile: colorprofile.ANSI256}
				if _, err := w.WriteString(fm.View().Content); err != nil {
					t.Fatal(err)
				}
				golden.RequireEqual(t, []byte(lab.mask(out.String())))
			})
		}
	}
}
