package tui

import (
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

// The mouse: a click focuses what is under it (a tab, a pane, a row, a
// field), the wheel scrolls what is under it. Coordinates reach a screen
// relative to its body; the keyboard stays the way to do everything.

// mouser is a screen that takes clicks and the wheel at body coordinates.
type mouser interface {
	click(x, y int) tea.Cmd
	wheel(x, y, d int) tea.Cmd
}

// wheelStep is how many lines or rows one wheel notch moves.
const wheelStep = 3

func (m *model) updateMouse(msg tea.MouseMsg) tea.Cmd {
	if m.state != stateReady || m.modal != nil || m.showHelp {
		return nil
	}
	ms := msg.Mouse()
	d := 0
	switch ms.Button {
	case tea.MouseWheelUp:
		d = -wheelStep
	case tea.MouseWheelDown:
		d = wheelStep
	}
	if m.palette != nil {
		if _, wheel := msg.(tea.MouseWheelMsg); wheel {
			m.palette.list.move(d)
		}
		return nil
	}
	y := ms.Y - 1 - m.guideLines()
	switch msg.(type) {
	case tea.MouseClickMsg:
		if ms.Button != tea.MouseLeft {
			return nil
		}
		m.lastKey = m.sh.now()
		if ms.Y == 0 {
			return m.clickTab(ms.X)
		}
		if s, ok := m.active().(mouser); ok && y >= 0 && y < m.sh.height && !m.active().typing() {
			return s.click(ms.X, y)
		}
	case tea.MouseWheelMsg:
		if s, ok := m.active().(mouser); ok && d != 0 && y >= 0 && y < m.sh.height {
			return s.wheel(ms.X, y, d)
		}
	}
	return nil
}

// clickTab shows the page whose tab is under x, as its key would.
func (m *model) clickTab(x int) tea.Cmd {
	st := &m.sh.styles
	at := lipgloss.Width(st.title.Render("mtlswb")) + 1
	for _, pn := range pageNames {
		if pn.p == pageInspector && !m.inspector.hasReport() {
			continue
		}
		w := lipgloss.Width(pn.name) + 2
		if x >= at && x < at+w {
			if pn.p == pageInspector {
				m.showPage(pageInspector)
				return nil
			}
			return m.handleKey(keyPress(pn.name[:1]))
		}
		at += w
	}
	return nil
}

func (s *keystoreScreen) click(x, y int) tea.Cmd {
	if !s.wide() && s.detailOpen {
		return nil
	}
	if s.wide() && x > s.list.width+1 {
		if s.list.selected() != nil {
			s.focus = focusDetail
		}
		return nil
	}
	s.focus = focusList
	// The pane's title line and the column header come first.
	if row := s.list.offset + y - 2; y >= 2 && row < len(s.list.visible) {
		s.list.cursor = row
		s.list.clamp()
	}
	return s.detailCmd()
}

func (s *keystoreScreen) wheel(x, _ int, d int) tea.Cmd {
	if (!s.wide() && s.detailOpen) || (s.wide() && x > s.list.width+1) {
		if d > 0 {
			s.detail.ScrollDown(d)
		} else {
			s.detail.ScrollUp(-d)
		}
		return nil
	}
	s.list.move(d)
	return s.detailCmd()
}

func (s *historyScreen) click(x, y int) tea.Cmd {
	if s.filtering {
		return nil
	}
	if y == 0 {
		// The pane tabs: "[History (n)]" then " Saved (n) ".
		histW := lipgloss.Width(fmtPaneTab("History", len(s.hist.rows)))
		if x < histW {
			s.pane = paneHistory
		} else {
			s.pane = paneSaved
		}
		s.filter.SetValue(s.cur().filter)
		return nil
	}
	l := s.cur()
	if row := l.offset + y - 2; y >= 2 && row < len(l.visible) {
		l.cursor = row
		l.clamp()
	}
	return nil
}

func (s *historyScreen) wheel(_, _ int, d int) tea.Cmd {
	s.cur().move(d)
	return nil
}

func (s *composerScreen) click(_, y int) tea.Cmd {
	if s.picking != pickNone {
		if row := s.pick.offset + y - 3; y >= 3 && row < len(s.pick.visible) {
			s.pick.cursor = row
			s.pick.clamp()
		}
		return nil
	}
	if s.asSent {
		return nil
	}
	lines, top, bottom, fieldOf := s.formLines()
	lo := windowStart(len(lines), top, bottom, s.h)
	if i := lo + y; i < len(fieldOf) && fieldOf[i] != cfCount {
		s.stopTyping()
		s.focus = fieldOf[i]
		s.editing = s.isText(s.focus)
		if s.editing {
			return s.focusInput()
		}
	}
	return nil
}

func (s *composerScreen) wheel(_, _ int, d int) tea.Cmd {
	if s.picking != pickNone {
		s.pick.move(d)
		return nil
	}
	if s.asSent || s.editing {
		return nil
	}
	if d > 0 {
		return s.moveFocus(1)
	}
	return s.moveFocus(-1)
}

func (s *inspectorScreen) click(x, y int) tea.Cmd {
	if y != 0 || s.report == nil || s.cmp != nil {
		return nil
	}
	at := 0
	for i, n := range tabNames {
		w := lipgloss.Width(n) + 2
		if x >= at && x < at+w {
			s.tab = inspTab(i)
			s.render()
			s.vp.GotoTop()
			return nil
		}
		at += w
	}
	return nil
}

func (s *inspectorScreen) wheel(_, _ int, d int) tea.Cmd {
	if d > 0 {
		s.vp.ScrollDown(d)
	} else {
		s.vp.ScrollUp(-d)
	}
	return nil
}
