package tui

import (
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

func TestColumnLayout(t *testing.T) {
	cols := []column{
		{title: "Name", min: 8},
		{title: "Subject", min: 8, flex: true, drop: 2},
		{title: "Expires", min: 10},
		{title: "Key", min: 7, drop: 1},
	}
	natural := []int{12, 30, 10, 7}
	cases := map[string]struct {
		width int
		want  []int
	}{
		"everything whole":          {width: 80, want: []int{12, 30, 10, 7}},
		"subject gives way first":   {width: 55, want: []int{12, 20, 10, 7}},
		"key drops first":           {width: 40, want: []int{12, 14, 10, 0}},
		"subject drops next":        {width: 30, want: []int{12, 0, 10, 0}},
		"never-drop columns shrink": {width: 18, want: []int{8, 0, 8, 0}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := layout(cols, natural, tc.width)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("layout(%d) = %v, want %v", tc.width, got, tc.want)
			}
			if span := spanOf(got); span > tc.width {
				t.Fatalf("columns span %d > width %d", span, tc.width)
			}
		})
	}
}

// TestListsHaveHeaders: every list names its columns and marks the sort.
func TestListsHaveHeaders(t *testing.T) {
	lab := newKeyLab(t)
	cases := []struct {
		setup []string
		want  string
	}{
		{nil, "Name ▲"},
		{[]string{"s"}, "Expires ▲"},
		{[]string{"2"}, "Name ▲"},
		{[]string{"4"}, "# ▼"},
		{[]string{"4", "tab"}, "Name ▲"},
		{[]string{"3", "tab", "tab", "tab", "enter"}, "Identity ▲"},
		{[]string{"3", "tab", "tab", "tab", "tab", "enter"}, "Trust anchor ▲"},
	}
	for _, tc := range cases {
		m := lab.model(focusState{w: 100, h: 20, setup: tc.setup})
		if v := plainView(m); !strings.Contains(v, tc.want) {
			t.Errorf("%v: no header %q:\n%s", tc.setup, tc.want, v)
		}
	}
}

// TestWideColumnsUseTheWidth: at 200 columns History shows categories and
// URLs whole.
func TestWideColumnsUseTheWidth(t *testing.T) {
	lab := newKeyLab(t)
	m := lab.model(focusState{w: 200, h: 30, setup: []string{"4"}})
	v := plainView(m)
	for _, want := range []string{"✗ client-cert-unknown-ca", "GET https://api.example.org:8443/orders", "bob-soon"} {
		if !strings.Contains(v, want) {
			t.Errorf("200 columns cut %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "…") {
		t.Errorf("something is cut at 200 columns:\n%s", v)
	}
}

// TestEmptyFilterSaysNoMatch: a filter that hides everything says so and
// clears the detail pane instead of showing a hidden record.
func TestEmptyFilterSaysNoMatch(t *testing.T) {
	lab := newKeyLab(t)
	m := lab.model(focusState{w: 120, h: 30})
	press(t, m, "/", "z", "z", "z")
	v := plainView(m)
	if !strings.Contains(v, "no match for “zzz”") || strings.Contains(v, "press i to import") {
		t.Errorf("the empty list does not say the filter hides everything:\n%s", v)
	}
	if strings.Contains(v, "CN=alice") {
		t.Errorf("the detail pane still shows a hidden record:\n%s", v)
	}
	press(t, m, "esc", "4", "/", "z", "z")
	if v := plainView(m); !strings.Contains(v, "no match for “zz”") || strings.Contains(v, "no attempts yet") {
		t.Errorf("History's empty filter:\n%s", v)
	}
}

// TestResizeKeepsFocusVisible: the detail pane focused at 120 columns stays
// focused and visible at 80, where it replaces the list, and j scrolls it.
func TestResizeKeepsFocusVisible(t *testing.T) {
	lab := newKeyLab(t)
	m := lab.model(focusState{w: 120, h: 24, setup: []string{"down", "enter"}})
	if m.ids.focus != focusDetail {
		t.Fatal("setup: the detail pane is not focused")
	}
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	v := plainView(m)
	if !strings.Contains(v, "[Details]") || strings.Contains(v, "Name ▲") {
		t.Fatalf("at 80 columns the focused detail pane is not what shows:\n%s", v)
	}
	cur := m.ids.list.selectedKey()
	press(t, m, "j")
	if m.ids.detail.YOffset() != 1 || m.ids.list.selectedKey() != cur {
		t.Fatalf("j did not scroll the detail (offset %d, cursor %s → %s)", m.ids.detail.YOffset(), cur, m.ids.list.selectedKey())
	}
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 24})
	if m.ids.focus != focusDetail || !strings.Contains(plainView(m), "[Details]") {
		t.Fatalf("back at 120 columns the detail pane lost the focus:\n%s", plainView(m))
	}
	press(t, m, "tab")
	if v := plainView(m); !strings.Contains(v, "[Client identities]") {
		t.Fatalf("the focused list is not marked:\n%s", v)
	}
}

// TestFormsFitSmallTerminals: at 40×12 every form shows the field in focus
// as the user moves through it, and no line runs past the edge.
func TestFormsFitSmallTerminals(t *testing.T) {
	lab := newKeyLab(t)
	forms := map[string][]string{
		"import": {"i"},
		"export": {"e"},
		"rename": {"r"},
		"delete": {"d"},
		"issue":  {"2", "+"},
		"save":   {"3", "h", "t", "t", "p", "s", ":", "/", "/", "x", "ctrl+w"},
	}
	for name, setup := range forms {
		t.Run(name, func(t *testing.T) {
			m := lab.model(focusState{w: 40, h: 12, setup: setup})
			if m.modal == nil {
				t.Fatalf("no form:\n%s", plainView(m))
			}
			for i := 0; i <= len(m.modal.fields); i++ {
				v := plainView(m)
				for _, l := range strings.Split(v, "\n") {
					if w := lipgloss.Width(l); w > 40 {
						t.Fatalf("a line is %d cells wide:\n%s", w, v)
					}
				}
				if len(m.modal.fields) == 0 {
					if !strings.Contains(v, "y/enter confirm") {
						t.Fatalf("the confirmation's keys are not on screen:\n%s", v)
					}
					break
				}
				if label := m.modal.fields[m.modal.focus].label; !strings.Contains(v, "> "+label[:min(3, len(label))]) {
					t.Fatalf("field %q in focus is not on screen:\n%s", label, v)
				}
				if len(m.modal.fields) > 1 {
					press(t, m, "down")
				}
			}
		})
	}
}

// TestComposerScrollsToFocus: on a short terminal the composer scrolls so
// the field in focus shows, and says there is more above.
func TestComposerScrollsToFocus(t *testing.T) {
	lab := newKeyLab(t)
	m := lab.model(focusState{w: 80, h: 14, setup: []string{"3", "esc"}})
	for i := 0; m.composer.focus != cfTimeout && i < int(cfCount); i++ {
		press(t, m, "tab")
	}
	v := plainView(m)
	if !strings.Contains(v, "> Timeout") || !strings.Contains(v, "more above") {
		t.Fatalf("the last field is not in view:\n%s", v)
	}
	press(t, m, "tab") // wraps to Method
	if v := plainView(m); !strings.Contains(v, "> Method") || !strings.Contains(v, "more below") {
		t.Fatalf("the first field is not in view:\n%s", v)
	}
}

// TestTextWidthAgreesWithLipgloss: the fast path measures what lipgloss
// measures, styled or not, and falls back for everything else.
func TestTextWidthAgreesWithLipgloss(t *testing.T) {
	st := newStyles(true, false)
	cases := []string{
		"", "plain ascii", "a│b └─ ██ ← ↑ → ↓", "·…—‹›“”◂▸▲▼●•✓✗≠",
		st.title.Render("title") + " · " + st.dim.Render("dim ▲"),
		st.selected.Render(">  alice   2036-11-01") + " " + st.warn.Render("expires in 12d"),
		"wide 日本語", "emoji 🔒 lock", "e\u0301 combining", "tab\there", "ctl\x07bell",
		"\x1b]8;;https://x\x1b\\link\x1b]8;;\x1b\\",
	}
	for _, s := range cases {
		if got, want := textWidth(s), lipgloss.Width(s); got != want {
			t.Errorf("textWidth(%q) = %d, lipgloss.Width = %d", s, got, want)
		}
	}
}
