package tui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

func click(m *model, x, y int) tea.Cmd {
	_, cmd := m.Update(tea.MouseClickMsg{X: x, Y: y, Button: tea.MouseLeft})
	return cmd
}

func wheel(m *model, x, y int, down bool) tea.Cmd {
	b := tea.MouseWheelUp
	if down {
		b = tea.MouseWheelDown
	}
	_, cmd := m.Update(tea.MouseWheelMsg{X: x, Y: y, Button: b})
	return cmd
}

// TestMouse: a click focuses the pane, row, tab or field under it; the
// wheel scrolls what is under it.
func TestMouse(t *testing.T) {
	lab := newKeyLab(t)
	m := lab.model(focusState{w: 120, h: 24})
	if m.View().MouseMode != tea.MouseModeCellMotion {
		t.Fatal("the mouse is not on")
	}
	// Body starts at y=1: pane title, column header, then rows.
	drive(t, m, click(m, 5, 4)) // the second row
	if got := m.ids.list.selectedKey(); got != "bob-soon" {
		t.Fatalf("click on the second row selected %q", got)
	}
	drive(t, m, click(m, 80, 10))
	if m.ids.focus != focusDetail {
		t.Fatal("a click on the detail pane did not focus it")
	}
	wheel(m, 80, 10, true)
	if m.ids.detail.YOffset() != wheelStep {
		t.Fatalf("the wheel over the detail scrolled to %d", m.ids.detail.YOffset())
	}
	drive(t, m, wheel(m, 5, 5, true))
	if m.ids.list.selectedKey() != "web-server" {
		t.Fatalf("the wheel over the list moved to %q", m.ids.list.selectedKey())
	}
	// The tab bar: "mtlswb  1 Identities  2 CAs  3 Composer  4 History".
	x := strings.Index(plainView(m), "4 History")
	drive(t, m, click(m, x, 0))
	if m.page != pageHistory {
		t.Fatalf("a click on the History tab shows page %d", m.page)
	}
	drive(t, m, click(m, 20, 1)) // "Saved" pane tab
	if m.history.pane != paneSaved {
		t.Fatal("a click on Saved did not switch the pane")
	}
	drive(t, m, click(m, 5, 4))
	if m.history.saved.cursor != 1 {
		t.Fatalf("click on the second saved request: cursor %d", m.history.saved.cursor)
	}
	press(t, m, "3", "esc")
	drive(t, m, click(m, 5, 9)) // the Identity field: tab bar, title, method, URL, 2 header and 3 body lines above
	if m.composer.focus != cfIdentity {
		t.Fatalf("a click on Identity focused field %d:\n%s", m.composer.focus, plainView(m))
	}
}

// TestNoColorPlaceholders: without colour a placeholder cannot look grey,
// so it is marked ‹like this›.
func TestNoColorPlaceholders(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	lab := newKeyLab(t)
	m := lab.model(focusState{w: 100, h: 30, setup: []string{"3"}})
	v := plainView(m)
	for _, want := range []string{"‹https://localhost:8443/›", "‹Name: value, one per line›"} {
		if !strings.Contains(v, want) {
			t.Errorf("placeholder not marked %q:\n%s", want, v)
		}
	}
	press(t, m, "esc", "esc", "i")
	if v := plainView(m); !strings.Contains(v, "‹path (tab completes)›") {
		t.Errorf("form placeholder not marked:\n%s", v)
	}
}

// TestTerminalLeftAsFound: the window title is never set (a terminal that
// cannot restore it would be left blank).
func TestTerminalLeftAsFound(t *testing.T) {
	m := newTestModel(t, "unused", nil)
	if v := m.View(); v.WindowTitle != "" {
		t.Fatalf("window title set to %q", v.WindowTitle)
	}
}

// TestLightBackground: the answer to the background query switches to the
// light theme and back.
func TestLightBackground(t *testing.T) {
	m := newTestModel(t, "unused", nil)
	dark := m.sh.styles.title.GetForeground()
	m.Update(tea.BackgroundColorMsg{Color: lipgloss.Color("#FFFFFF")})
	if m.isDark || m.sh.styles.title.GetForeground() == dark {
		t.Fatal("a white background kept the dark theme")
	}
	m.Update(tea.BackgroundColorMsg{Color: lipgloss.Color("#101010")})
	if !m.isDark || m.sh.styles.title.GetForeground() != dark {
		t.Fatal("a black background did not bring the dark theme back")
	}
}
