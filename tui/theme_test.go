package tui

import (
	"fmt"
	"image/color"
	"math"
	"testing"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"
)

// luminance is WCAG 2's relative luminance.
func luminance(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	lin := func(v uint32) float64 {
		s := float64(v) / 0xffff
		if s <= 0.03928 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}

// contrast is WCAG 2's contrast ratio, 1 to 21.
func contrast(a, b color.Color) float64 {
	la, lb := luminance(a), luminance(b)
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

// styleTable names every style that colours text.
func styleTable(st styles) map[string]lipgloss.Style {
	t := map[string]lipgloss.Style{
		"title": st.title, "tab": st.tab, "tabActive": st.tabActive, "selected": st.selected, "dim": st.dim,
		"label": st.label, "ok": st.ok, "warn": st.warn, "bad": st.bad, "loud": st.loud, "focus": st.focus,
		"key": st.key, "errLine": st.errLine, "info": st.info, "helpKey": st.helpKey, "helpDesc": st.helpDesc,
		"helpSep": st.helpSep, "jsonKey": st.jsonKey, "jsonString": st.jsonString, "jsonNumber": st.jsonNumber,
		"jsonLiteral": st.jsonLiteral, "match": st.match, "border": st.border,
	}
	for i, b := range st.bar {
		t[fmt.Sprintf("bar%d", i)] = b
	}
	return t
}

// TestPaletteContrast: every style stays readable on a dark and a light
// background in true colour, 256 colours and 16 colours (xterm's values),
// so no help separator comes out black on black.
func TestPaletteContrast(t *testing.T) {
	themes := []struct {
		name   string
		dark   bool
		ground color.Color
	}{
		{"dark", true, lipgloss.Color("#1C1C1C")},
		{"black", true, lipgloss.Color("#000000")},
		{"light", false, lipgloss.Color("#FFFFFF")},
	}
	profiles := map[string]colorprofile.Profile{"truecolor": colorprofile.TrueColor, "256": colorprofile.ANSI256, "16": colorprofile.ANSI}
	for _, th := range themes {
		for pn, p := range profiles {
			for name, s := range styleTable(newStyles(th.dark, false)) {
				fg := s.GetForeground()
				if _, none := fg.(lipgloss.NoColor); none || fg == nil {
					continue
				}
				bg := s.GetBackground()
				if _, none := bg.(lipgloss.NoColor); none || bg == nil {
					bg = th.ground
				}
				// The terminal's own background is what it is; a style's
				// background is converted like its foreground.
				fg = p.Convert(fg)
				if bg != th.ground {
					bg = p.Convert(bg)
				}
				want := 3.0
				if name == "border" {
					want = 1.8 // a rule between panes, not text
				}
				if c := contrast(fg, bg); c < want {
					r, g, b, _ := fg.RGBA()
					t.Errorf("%s/%s: %s has contrast %.2f < %.1f (fg #%02x%02x%02x)", th.name, pn, name, c, want, r>>8, g>>8, b>>8)
				}
			}
		}
	}
}
