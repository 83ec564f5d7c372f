package tui

import "charm.land/bubbles/v2/key"

// Every key binding is built from the helpers below, and a key that means the
// same on several screens (esc, q, /, tab, ctrl+s, E, the arrows) is spelled
// once, so its keys and help text cannot drift apart between screens. Each
// screen still owns its KeyMap struct, next to the code that handles it.

// bind is a binding for one key whose help shows that key.
func bind(k, desc string) key.Binding {
	return key.NewBinding(key.WithKeys(k), key.WithHelp(k, desc))
}

// bindKeys is a binding for several keys; shown is how the help names them.
func bindKeys(shown, desc string, keys ...string) key.Binding {
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp(shown, desc))
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
func pageDownKey() key.Binding        { return bindKeys("pgdn", "page down", "pgdown", "space") }

// globalKeys are the bindings the root handles on every screen.
type globalKeys struct {
	Identities key.Binding
	CAs        key.Binding
	Composer   key.Binding
	History    key.Binding
	Help       key.Binding
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
		Quit:       quitKey(),
		ForceQuit:  bind("ctrl+c", "quit"),
		Lock:       bind("L", "lock keys"),
		Back:       backKey(),
		NewRequest: bind("n", "new request"),
	}
}

func (k globalKeys) ShortHelp() []key.Binding {
	return []key.Binding{k.Identities, k.CAs, k.Composer, k.History, k.Help, k.Quit}
}

func (k globalKeys) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Identities, k.CAs, k.Composer, k.History},
		{k.NewRequest, k.Lock, k.Back, k.Help, k.Quit, k.ForceQuit},
	}
}
