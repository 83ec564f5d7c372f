package tui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// Every key binding is built from the helpers below, and a key that means the
// same on several screens (esc, q, /, tab, ctrl+s, E, the arrows) is spelled
// once, so its keys and help text cannot drift apart between screens. Each
// screen still owns its KeyMap struct, next to the code that handles it.
//
// Help is generated, never written: a screen answers keys() with the
// bindings of the focus state it is in now, disabled where they would do
// nothing, and its Update matches keys against that same value. A disabled
// binding neither matches (key.Matches checks Enabled) nor shows in help, so
// the help bar, the ? overlay and the : palette cannot advertise a key that
// does nothing or hide one that acts (TestKeymapTruth walks every state).

// bind is a binding for one key whose help shows that key.
func bind(k, desc string) key.Binding {
	return key.NewBinding(key.WithKeys(k), key.WithHelp(k, desc))
}

// bindKeys is a binding for several keys; shown is how the help names them.
func bindKeys(shown, desc string, keys ...string) key.Binding {
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp(shown, desc))
}

// on returns b enabled only when cond holds.
func on(b key.Binding, cond bool) key.Binding {
	b.SetEnabled(cond)
	return b
}

// disable turns bindings off: the state has no use for them.
func disable(bs ...*key.Binding) {
	for _, b := range bs {
		b.SetEnabled(false)
	}
}

// said returns b with another description (the same key means "scroll"
// in a pane and "move" in a list).
func said(b key.Binding, desc string) key.Binding {
	b.SetHelp(b.Help().Key, desc)
	return b
}

func backKey() key.Binding   { return bind("esc", "back") }
func quitKey() key.Binding   { return bind("q", "quit") }
func filterKey() key.Binding { return bind("/", "filter") }
func resendKey() key.Binding { return bind("ctrl+s", "send again") }
func editKey() key.Binding   { return bind("E", "edit in composer") }

// paneKey switches between the two panes of a screen, either way round.
func paneKey(desc string) key.Binding { return bindKeys("tab", desc, "tab", "shift+tab") }

func upKey(desc string) key.Binding   { return bindKeys("↑/k", desc, "up", "k") }
func downKey(desc string) key.Binding { return bindKeys("↓/j", desc, "down", "j") }
func pageUpKey() key.Binding          { return bind("pgup", "page up") }
func pageDownKey() key.Binding        { return bindKeys("pgdn/space", "page down", "pgdown", "space") }

// keySet is what one focus state answers to, as help shows it: short is the
// help bar, full the groups of the ? overlay.
type keySet struct {
	short []key.Binding
	full  [][]key.Binding
}

// flat is the key set of a state whose few bindings all show in the bar.
func flat(bs ...key.Binding) keySet { return keySet{short: bs, full: [][]key.Binding{bs}} }

func (k keySet) ShortHelp() []key.Binding  { return k.short }
func (k keySet) FullHelp() [][]key.Binding { return k.full }

// globalKeys are the bindings the root handles on every screen.
type globalKeys struct {
	Identities key.Binding
	CAs        key.Binding
	Composer   key.Binding
	History    key.Binding
	Help       key.Binding
	Palette    key.Binding
	Quit       key.Binding
	ForceQuit  key.Binding
	Lock       key.Binding
	Back       key.Binding
	NewRequest key.Binding
}

func newGlobalKeys() globalKeys {
	return globalKeys{
		Identities: bind("1", "identities"),
		CAs:        bind("2", "CAs"),
		Composer:   bind("3", "composer"),
		History:    bind("4", "history"),
		Help:       bind("?", "help"),
		Palette:    bind(":", "commands"),
		Quit:       quitKey(),
		ForceQuit:  bind("ctrl+c", "quit now"),
		Lock:       bind("L", "lock keys"),
		Back:       backKey(),
		NewRequest: bind("n", "new request"),
	}
}

func (k globalKeys) groups() [][]key.Binding {
	return [][]key.Binding{
		{k.Identities, k.CAs, k.Composer, k.History},
		{k.NewRequest, k.Lock, k.Back, k.Palette, k.Help, k.Quit, k.ForceQuit},
	}
}

// keyPress is the key press a terminal sends for a key as bindings name it
// ("ctrl+s", "shift+tab", "G"): the palette replays the key of the action
// chosen, so running an action from the palette and pressing its key are
// one code path.
func keyPress(k string) tea.KeyPressMsg {
	named := map[string]tea.KeyPressMsg{
		"enter":     {Code: tea.KeyEnter},
		"esc":       {Code: tea.KeyEscape},
		"tab":       {Code: tea.KeyTab},
		"shift+tab": {Code: tea.KeyTab, Mod: tea.ModShift},
		"up":        {Code: tea.KeyUp},
		"down":      {Code: tea.KeyDown},
		"left":      {Code: tea.KeyLeft},
		"right":     {Code: tea.KeyRight},
		"space":     {Code: tea.KeySpace, Text: " "},
		"backspace": {Code: tea.KeyBackspace},
		"delete":    {Code: tea.KeyDelete},
		"pgdown":    {Code: tea.KeyPgDown},
		"pgup":      {Code: tea.KeyPgUp},
		"home":      {Code: tea.KeyHome},
		"end":       {Code: tea.KeyEnd},
	}
	if km, ok := named[k]; ok {
		return km
	}
	if rest, ok := strings.CutPrefix(k, "ctrl+"); ok && len(rest) == 1 {
		return tea.KeyPressMsg{Code: rune(rest[0]), Mod: tea.ModCtrl}
	}
	r := []rune(k)
	if len(r) != 1 {
		return tea.KeyPressMsg{}
	}
	return tea.KeyPressMsg{Code: r[0], Text: k}
}
