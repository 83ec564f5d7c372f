package tui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/viewport"
)

// pane is a viewport that keeps its lines and draws only the visible ones,
// each cut or padded to the width: viewport.View renders through a
// lipgloss style that measures every cell of the content on every frame
// (most of a frame's cost at 200 columns).
type pane struct {
	viewport.Model
	lines []string
}

func newPane() pane { return pane{Model: viewport.New()} }

func (p *pane) SetContent(s string) {
	p.lines = strings.Split(s, "\n")
	p.Model.SetContent(s)
}

func (p *pane) View() string {
	w, h := p.Width(), p.Height()
	var b strings.Builder
	for i := range h {
		if i > 0 {
			b.WriteByte('\n')
		}
		if j := p.YOffset() + i; j < len(p.lines) {
			b.WriteString(fitStyled(p.lines[j], w))
		} else {
			b.WriteString(strings.Repeat(" ", w))
		}
	}
	return b.String()
}

// fitStyled cuts or pads a styled line to exactly w cells.
func fitStyled(s string, w int) string {
	sw := textWidth(s)
	if sw > w {
		return truncateStyled(s, w)
	}
	return s + strings.Repeat(" ", w-sw)
}

// paneTitle names a pane; the focused one is bracketed like the active tab,
// so focus shows without colour (NO_COLOR) too.
func paneTitle(st *styles, text string, focused bool) string {
	if focused {
		return st.tabActive.Render("[" + text + "]")
	}
	return st.tab.Render(" " + text + " ")
}

// scrollNote says where a viewport is in what it holds, and whether more
// lies below; empty when everything shows.
func scrollNote(vp *viewport.Model) string {
	total, h := vp.TotalLineCount(), vp.Height()
	if total <= h {
		return ""
	}
	top := vp.YOffset() + 1
	bottom := min(vp.YOffset()+h, total)
	s := fmt.Sprintf("lines %d–%d of %d", top, bottom, total)
	switch {
	case bottom < total:
		s += fmt.Sprintf(" · ↓ %d more below", total-bottom)
	default:
		s += " · end"
	}
	return s
}
