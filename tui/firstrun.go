package tui

import (
	"errors"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

type demoStartedMsg struct {
	path    string
	cleanup func()
}

func startDemoCmd(start func() (string, func(), error)) tea.Cmd {
	return func() tea.Msg {
		path, cleanup, err := start()
		if err != nil {
			return errMsg{err: describeDemoErr(err)}
		}
		return demoStartedMsg{path: path, cleanup: cleanup}
	}
}

func describeDemoErr(err error) error {
	return errors.Join(errors.New("start the demo"), err)
}

type firstRunChoice int

const (
	choiceCreate firstRunChoice = iota
	choiceCreatePlain
	choiceDemo
	choiceQuit
)

type firstRunKeys struct {
	Up, Down, Select, Quit key.Binding
}

func (k firstRunKeys) set() keySet {
	return flat([]key.Binding{k.Up, k.Down, k.Select, k.Quit}...)
}

// firstRunScreen greets a user without a workspace.
type firstRunScreen struct {
	sh      *shared
	choices []firstRunChoice
	cursor  int
	km      firstRunKeys
	w, h    int
}

func newFirstRunScreen(sh *shared, demo bool) *firstRunScreen {
	s := &firstRunScreen{sh: sh, choices: []firstRunChoice{choiceCreate, choiceCreatePlain}}
	if demo {
		s.choices = append(s.choices, choiceDemo)
	}
	s.choices = append(s.choices, choiceQuit)
	s.km = firstRunKeys{
		Up:     upKey("up"),
		Down:   downKey("down"),
		Select: bind("enter", "choose"),
		Quit:   quitKey(),
	}
	return s
}

func (s *firstRunScreen) init() tea.Cmd       { return nil }
func (s *firstRunScreen) setSize(w, h int)    { s.w, s.h = w, h }
func (s *firstRunScreen) keys() keySet        { return s.km.set() }
func (s *firstRunScreen) typing() bool        { return false }
func (s *firstRunScreen) commands() []command { return nil }
func (s *firstRunScreen) label(c firstRunChoice) string {
	switch c {
	case choiceCreate:
		return "Create a workspace protected by a passphrase"
	case choiceCreatePlain:
		return "Create a workspace without a passphrase (keys unencrypted on disk)"
	case choiceDemo:
		return "Open the demo: a throw-away workspace and local servers to try things on"
	}
	return "Quit"
}

func (s *firstRunScreen) update(msg tea.Msg) tea.Cmd {
	km, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	switch {
	case key.Matches(km, s.km.Up):
		s.cursor = max(s.cursor-1, 0)
	case key.Matches(km, s.km.Down):
		s.cursor = min(s.cursor+1, len(s.choices)-1)
	case key.Matches(km, s.km.Quit):
		return tea.Quit
	case key.Matches(km, s.km.Select):
		return s.choose(s.choices[s.cursor])
	}
	return nil
}

func (s *firstRunScreen) choose(c firstRunChoice) tea.Cmd {
	path := s.sh.path
	switch c {
	case choiceCreate:
		f := newForm("Create a workspace",
			"The passphrase encrypts every private key in "+safetext.Line(path)+". Nothing is echoed.")
		f.addSecret("Passphrase").addSecret("Again")
		f.submit = func(v []string) (tea.Cmd, error) {
			switch {
			case v[0] == "":
				return nil, errors.New("the passphrase is empty: type one, or choose a workspace without a passphrase")
			case v[0] != v[1]:
				return nil, errors.New("the two passphrases differ: type the same passphrase twice")
			}
			return createWorkspaceCmd(path, []byte(v[0]), false), nil
		}
		return s.sh.host.openForm(f)
	case choiceCreatePlain:
		f := newForm("Create a workspace without a passphrase",
			"Private keys will be stored unencrypted in "+safetext.Line(path)+". Anyone who can read the file can use them.")
		f.confirm = true
		f.submit = func([]string) (tea.Cmd, error) { return createWorkspaceCmd(path, nil, true), nil }
		return s.sh.host.openForm(f)
	case choiceDemo:
		if start := s.sh.startDemo; start != nil {
			s.sh.host.setInfo("starting the demo …")
			return startDemoCmd(start)
		}
	case choiceQuit:
		return tea.Quit
	}
	return nil
}

func (s *firstRunScreen) view() string {
	st := &s.sh.styles
	var b strings.Builder
	b.WriteString(st.title.Render("Welcome to mtlswb") + "\n\n")
	for _, l := range wrapLines("No workspace at "+safetext.Line(s.sh.path)+". A workspace keeps your CAs, client identities, saved requests and the history of your attempts, in one file.", s.w-2) {
		b.WriteString(l + "\n")
	}
	b.WriteString("\n")
	for i, c := range s.choices {
		line := s.label(c)
		if i == s.cursor {
			b.WriteString(st.selected.Render(cut("> "+line, s.w)) + "\n")
		} else {
			b.WriteString(cut("  "+line, s.w) + "\n")
		}
	}
	return b.String()
}
