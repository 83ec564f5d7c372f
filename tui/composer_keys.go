package tui

import (
	"errors"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"github.com/mtlswb/mtlswb/workspace"
)

// The composer's keys depend on the field in focus and on whether it is
// being typed into: a one-line field moves on with enter or ↓, a multi-line
// one keeps them for its lines; a choice cycles with ←/→; the identity and
// trust fields open a list.

type composerKeys struct {
	Send, Probe, Save, SaveAs, Cancel key.Binding
	Next, Prev, Edit, Leave           key.Binding
	Cycle, Toggle, Choose, Step       key.Binding
	AsSent, CloseSent, Curl, OpenSSL  key.Binding
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

		AsSent:    bind("v", "view as sent"),
		CloseSent: bindKeys("v/esc", "back to the form", "v", "esc"),
		Curl:      bind("y", "copy as curl"),
		OpenSSL:   bind("Y", "copy as openssl s_client"),
	}
}

// multiLine reports whether f takes several lines (enter is a new line).
func multiLine(f cField) bool { return f == cfHeaders || f == cfBody }

// choice reports whether f holds one of a few values, cycled with ←/→.
func choice(f cField) bool {
	switch f {
	case cfMethod, cfIdentity, cfTrust, cfTLSMin, cfTLSMax, cfInsecure, cfSASL:
		return true
	}
	return false
}

func (s *composerScreen) keysNow() composerKeys {
	k := s.km
	f := s.focus
	k.AsSent = on(k.AsSent, !s.editing && !s.asSent)
	k.CloseSent = on(k.CloseSent, s.asSent && !s.sending)
	k.Curl = on(k.Curl, !s.editing)
	k.OpenSSL = on(k.OpenSSL, !s.editing)
	if s.asSent {
		disable(&k.Next, &k.Prev, &k.Edit, &k.Leave, &k.Cycle, &k.Toggle, &k.Choose, &k.Step)
		k.Cancel = on(k.Cancel, s.sending)
		return k
	}
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
	k.Edit = on(k.Edit, !s.editing && s.editable(f))
	if f == cfMethod {
		k.Edit = said(k.Edit, "type a method")
	}
	k.Cycle = on(k.Cycle, !s.editing && choice(f))
	k.Toggle = on(k.Toggle, !s.editing && choice(f))
	k.Choose = on(k.Choose, !s.editing && (f == cfIdentity || f == cfTrust))
	k.Step = on(k.Step, !s.editing && choice(f) && f != cfIdentity && f != cfTrust && f != cfMethod)
	if f == cfTrust {
		k.Cycle = said(k.Cycle, "system roots on/off")
		k.Toggle = said(k.Toggle, "system roots on/off")
	}
	return k
}

func (s *composerScreen) keys() keySet {
	if s.picking != pickNone {
		k := s.pickerKeysNow()
		return flat([]key.Binding{k.Choose, k.Toggle, k.Up, k.Down, k.PageUp, k.PageDown, k.Close}...)
	}
	k := s.keysNow()
	return keySet{
		short: []key.Binding{k.CloseSent, k.Send, k.Probe, k.Cancel, k.Edit, k.Choose, k.Cycle, k.Step, k.Leave, k.Next, k.Save, k.AsSent},
		full: [][]key.Binding{
			{k.Send, k.Probe, k.Cancel, k.Save, k.SaveAs, k.AsSent, k.CloseSent, k.Curl, k.OpenSSL},
			{k.Next, k.Prev, k.Edit, k.Leave, k.Choose, k.Cycle, k.Toggle, k.Step},
		},
	}
}

// commands name the composer's actions for the palette (:save, :curl…).
func (s *composerScreen) commands() []command {
	k := s.keysNow()
	var out []command
	for _, c := range []struct {
		name string
		b    key.Binding
	}{{"save", k.Save}, {"saveas", k.SaveAs}, {"send", k.Send}, {"probe", k.Probe}, {"sent", k.AsSent},
		{"curl", k.Curl}, {"openssl", k.OpenSSL}} {
		if c.b.Enabled() {
			out = append(out, command{name: c.name, desc: c.b.Help().Desc, key: c.b.Keys()[0]})
		}
	}
	return out
}

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
	case key.Matches(km, k.AsSent):
		s.asSent = true
		return nil
	case key.Matches(km, k.CloseSent):
		s.asSent = false
		return nil
	case key.Matches(km, k.Curl):
		return s.copyAs("curl", curlCommand)
	case key.Matches(km, k.OpenSSL):
		return s.copyAs("openssl s_client", opensslCommand)
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
	s.method.SetValue(s.methodName())
}

// copyAs puts the request as a command line on the clipboard (OSC 52).
func (s *composerScreen) copyAs(what string, render func(workspace.RequestSpec) string) tea.Cmd {
	spec, _ := s.effective()
	if spec.URL == "" {
		s.sh.host.setError(errors.New("the URL is empty: there is nothing to copy yet"))
		return nil
	}
	note := ""
	if spec.Identity != "" {
		note = "; it names the identity's file: export it first (the comment says how)"
	}
	s.sh.host.setInfo("copied the request as " + what + " (OSC 52)" + note)
	return tea.SetClipboard(render(spec))
}
