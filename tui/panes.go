package tui

import (
	"fmt"

	"charm.land/bubbles/v2/viewport"
)

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
