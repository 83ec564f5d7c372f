package tui

import (
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
)

// The composer's keys depend on the field in focus and on whether it is
// being typed into: a one-line field moves on with enter or ↓, a multi-line
// one keeps them for its lines; a choice cycles with ←/→; the identity and
// trust fields open a list.

type composerKeys struct {
	Send, Probe, Save, SaveAs, Cancel key.Binding
	Next, Prev, Edit, Leave           key.Binding
	Cycle, Toggle, Choose, Step       key.Binding
}

func newComposerKeys() composerKeys {
	return composerKeys{
		Send:   bind("ctrl+s", "send"),
		Probe:  bind("ctrl+p", "probe handshake"),
		Save:   bind("ctrl+w", "save"),
		SaveAs: bind("ctrl+o", "save as"),
		Cancel: bind("esc", "cancel the send"),
		Edit:   bind("enter", "edit"),
		Leave:  bind("esc", "stop editing"),
		Cycle:  bindKeys("←/→", "change value", "left", "right", "h", "l"),
		Toggle: bind("space", "next value"),
		Choose: bind("enter", "choose from list"),
		Step:   bind("enter", "next value"),
	}
}

// multiLine reports whether f takes several lines (enter is a new line).
func multiLine(f cField) bool { return f == cfHeaders || f == cfBody }

// choice reports whether f holds one of a few values, cycled with ←/→.
func choice(f cField) bool {
	switch f {
	case cfMethod, cfIdentity, cfTrust, cfTLSMin, cfTLSMax, cfInsecure:
		return true
	}
	return false
}

func (s *composerScreen) keysNow() composerKeys {
	k := s.km
	f := s.focus
	switch {
	case s.editing && multiLine(f):
		k.Next = bind("tab", "next field")
		k.Prev = bind("shift+tab", "previous field")
	case s.editing:
		k.Next = bindKeys("tab/↓/enter", "next field", "tab", "down", "enter")
		k.Prev = bindKeys("shift+tab/↑", "previous field", "shift+tab", "up")
	default:
		k.Next = bindKeys("tab/↓/j", "next field", "tab", "down", "j")
		k.Prev = bindKeys("shift+tab/↑/k", "previous field", "shift+tab", "up", "k")
	}
	k.Cancel = on(k.Cancel, s.sending)
	k.Leave = on(k.Leave, s.editing && !s.sending)
	k.Edit = on(k.Edit, !s.editing && s.isText(f))
	k.Cycle = on(k.Cycle, !s.editing && choice(f))
	k.Toggle = on(k.Toggle, !s.editing && choice(f))
	k.Choose = on(k.Choose, !s.editing && (f == cfIdentity || f == cfTrust))
	k.Step = on(k.Step, !s.editing && choice(f) && f != cfIdentity && f != cfTrust)
	if f == cfTrust {
		k.Cycle = said(k.Cycle, "system roots on/off")
		k.Toggle = said(k.Toggle, "system roots on/off")
	}
	return k
}

func (s *composerScreen) keys() keySet {
	if s.picking != pickNone {
		k := s.pickerKeysNow()
		all := []key.Binding{k.Choose, k.Toggle, k.Up, k.Down, k.PageUp, k.PageDown, k.Close}
		return keySet{short: all, full: [][]key.Binding{all}}
	}
	k := s.keysNow()
	return keySet{
		short: []key.Binding{k.Send, k.Probe, k.Cancel, k.Edit, k.Choose, k.Cycle, k.Step, k.Leave, k.Next, k.Save},
		full: [][]key.Binding{
			{k.Send, k.Probe, k.Cancel, k.Save, k.SaveAs},
			{k.Next, k.Prev, k.Edit, k.Leave, k.Choose, k.Cycle, k.Toggle, k.Step},
		},
	}
}

func (s *composerScreen) commands() []command { return nil }

func (s *composerScreen) updateForm(msg tea.Msg) tea.Cmd {
	if t, ok := msg.(spinner.TickMsg); ok {
		return s.spinTick(t)
	}
	km, isKey := msg.(tea.KeyPressMsg)
	if !isKey {
		return s.updateInput(msg)
	}
	if s.picking != pickNone {
		return s.updatePicker(km)
	}
	k := s.keysNow()
	switch {
	case key.Matches(km, k.Send):
		return s.send(false)
	case key.Matches(km, k.Probe):
		return s.send(true)
	case key.Matches(km, k.Save):
		return s.saveForm(false)
	case key.Matches(km, k.SaveAs):
		return s.saveForm(true)
	case key.Matches(km, k.Cancel):
		s.cancelSend()
		return nil
	case key.Matches(km, k.Leave):
		s.stopTyping()
		return nil
	case key.Matches(km, k.Next):
		return s.moveFocus(1)
	case key.Matches(km, k.Prev):
		return s.moveFocus(-1)
	case key.Matches(km, k.Edit):
		s.editing = true
		return s.focusInput()
	case key.Matches(km, k.Choose):
		if s.focus == cfIdentity {
			return s.openPicker(pickIdentity)
		}
		return s.openPicker(pickTrust)
	case key.Matches(km, k.Cycle):
		if km.String() == "left" || km.String() == "h" {
			s.cycle(-1)
		} else {
			s.cycle(1)
		}
		return nil
	case key.Matches(km, k.Toggle), key.Matches(km, k.Step):
		s.cycle(1)
		return nil
	}
	if s.editing {
		return s.updateInput(msg)
	}
	return nil
}

// stopTyping leaves the field being edited; the focus stays on it.
func (s *composerScreen) stopTyping() {
	s.editing = false
	s.blurAll()
}
