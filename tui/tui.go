package tui

import (
	"context"
	"errors"
	"os"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/safetext"
	"github.com/mtlswb/mtlswb/workspace"
)

// Options configure the TUI.
type Options struct {
	WorkspacePath string                                                            // may not exist yet -> first-run screen
	Engine        func(ctx context.Context, req tlsengine.Request) tlsengine.Report // nil = tlsengine.Run (tests inject)
	StartDemo     func() (workspacePath string, cleanup func(), err error)          // nil = hide the demo choice
	Guide         string                                                            // optional on-screen guide text (demo)
	DemoGuide     string                                                            // the guide shown once the first-run demo starts
	Now           func() time.Time                                                  // nil = time.Now (golden tests pin it)
	// AgentKeys returns the workspace's keys from the key agent, nil when
	// it holds none; AgentLock makes it forget them. nil = no agent.
	AgentKeys func(*workspace.Store) *workspace.Keys
	AgentLock func(*workspace.Store)
}

// idleLock is how long unlocked keys stay in memory without a keystroke.
const idleLock = 15 * time.Minute

type page int

const (
	pageIdentities page = iota
	pageCAs
	pageComposer
	pageHistory
	pageInspector
)

type appState int

const (
	stateLoading appState = iota
	stateFirstRun
	stateReady
)

// screen is the contract between the root and a screen: the root sizes it,
// forwards messages to it while it is active and asks it which keys it
// answers to now.
type screen interface {
	update(msg tea.Msg) tea.Cmd
	view() string
	setSize(w, h int)
	// keys are the bindings of the focus state the screen is in now; its
	// update matches keys against the same value.
	keys() keySet
	// typing reports whether keys go to a text input, so the root leaves
	// single-letter keys (q, 1-4, ?, :) alone.
	typing() bool
	// commands are the actions only the : palette offers (no key of their
	// own), for the state the screen is in now.
	commands() []command
}

// model is the root: it routes messages, owns the workspace handle and the
// unlocked keys, and draws the frame around the active screen.
type model struct {
	sh    *shared
	opts  Options
	state appState

	store     *workspace.Store
	encrypted bool
	keys      *workspace.Keys
	lastKey   time.Time
	gen       uint64
	entries   []workspace.Entry
	cleanup   func()

	page page
	// trail is the back stack: the pages the user came through, newest
	// last; esc returns along it. passing is set while the composer only
	// carries a send started elsewhere (ctrl+s on Saved), so the result
	// replaces it and esc goes back to where the send started.
	trail     []page
	passing   bool
	screens   map[page]screen
	ids, cas  *keystoreScreen
	composer  *composerScreen
	inspector *inspectorScreen
	history   *historyScreen
	first     *firstRunScreen

	modal       *form
	palette     *palette
	afterUnlock func(*workspace.Keys) tea.Cmd
	unlocking   bool

	showHelp  bool
	status    string
	statusBad bool

	isDark bool
	width  int
	height int
}

var _ tea.Model = (*model)(nil)

// New builds the root model. It touches neither the disk nor the network:
// Init opens the workspace in a command.
func New(opts Options) tea.Model {
	if opts.Engine == nil {
		opts.Engine = tlsengine.Run
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	plain := os.Getenv("NO_COLOR") != ""
	m := &model{opts: opts, isDark: true, width: 80, height: 24}
	m.sh = &shared{
		styles: newStyles(true, plain),
		keys:   newGlobalKeys(),
		now:    opts.Now,
		engine: opts.Engine,
		path:   opts.WorkspacePath,
		host:   m,

		startDemo: opts.StartDemo,
		pollEvery: pollInterval,
		guide:     opts.Guide,
	}
	m.first = newFirstRunScreen(m.sh, opts.StartDemo != nil)
	m.ids = newKeystoreScreen(m.sh, workspace.KindIdentity)
	m.cas = newKeystoreScreen(m.sh, workspace.KindCA)
	m.composer = newComposerScreen(m.sh)
	m.inspector = newInspectorScreen(m.sh)
	m.history = newHistoryScreen(m.sh)
	m.screens = map[page]screen{
		pageIdentities: m.ids, pageCAs: m.cas, pageComposer: m.composer,
		pageHistory: m.history, pageInspector: m.inspector,
	}
	m.lastKey = opts.Now()
	m.layout()
	return m
}

// Run starts the TUI and returns when the user quits or ctx ends.
func Run(ctx context.Context, opts Options) error {
	m := New(opts)
	_, err := tea.NewProgram(m, tea.WithContext(ctx)).Run()
	if mm, ok := m.(*model); ok && mm.cleanup != nil {
		mm.cleanup()
	}
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil
	}
	return err
}

func (m *model) Init() tea.Cmd {
	return tea.Batch(tea.RequestBackgroundColor, openWorkspaceCmd(m.opts.WorkspacePath))
}

// layout hands every screen its share of the terminal: one line of tabs on
// top, a status line and a help line at the bottom.
func (m *model) layout() {
	m.sh.width = m.width
	m.sh.height = max(m.height-3-m.guideLines(), 3)
	for _, s := range m.screens {
		s.setSize(m.sh.width, m.sh.height)
	}
	m.first.setSize(m.sh.width, m.sh.height)
}

func (m *model) active() screen { return m.screens[m.page] }

// guideLines is the height of the guide banner a demo shows under the tabs.
func (m *model) guideLines() int {
	if m.sh == nil || m.sh.guide == "" {
		return 0
	}
	return 1
}

func (m *model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.layout()
		return m, nil
	case tea.BackgroundColorMsg:
		m.isDark = msg.IsDark()
		m.sh.styles = newStyles(m.isDark, m.sh.styles.plain)
		m.ids.restyle()
		m.cas.restyle()
		m.inspector.restyle()
		m.history.restyle()
		m.composer.restyle()
		return m, nil
	case tea.KeyPressMsg:
		return m, m.handleKey(msg)
	case tea.MouseClickMsg, tea.MouseWheelMsg:
		return m, m.updateMouse(msg.(tea.MouseMsg))
	case tea.PasteMsg:
		if m.modal != nil {
			return m, m.updateModal(msg)
		}
	case workspaceMissingMsg:
		m.state = stateFirstRun
		return m, m.first.init()
	case workspaceOpenedMsg:
		m.store, m.encrypted, m.state = msg.store, msg.encrypted, stateReady
		m.sh.store = msg.store
		m.keys = nil
		return m, tea.Batch(m.reload(), pollTick(m.sh.pollEvery))
	case demoStartedMsg:
		m.cleanup = msg.cleanup
		m.opts.WorkspacePath, m.sh.path = msg.path, msg.path
		if m.opts.DemoGuide != "" {
			// The demo is labelled as such wherever it shows.
			m.sh.guide = m.opts.DemoGuide
			m.layout()
		}
		return m, openWorkspaceCmd(msg.path)
	case entriesLoadedMsg:
		m.gen = msg.gen
		m.entries = msg.entries
		m.ids.setEntries(msg.entries)
		m.cas.setEntries(msg.entries)
		m.composer.setEntries(msg.entries)
		return m, tea.Batch(m.ids.detailCmd(), m.cas.detailCmd())
	case historyLoadedMsg:
		m.history.setHistory(msg.entries)
		return m, nil
	case savedLoadedMsg:
		m.history.setSaved(msg.saved)
		m.composer.setSavedNames(msg.saved)
		return m, nil
	case pollTickedMsg:
		if m.keys != nil && m.encrypted && m.sh.now().Sub(m.lastKey) >= idleLock {
			m.lock("keys locked after 15 idle minutes")
		}
		if m.store == nil {
			return m, pollTick(m.sh.pollEvery)
		}
		return m, tea.Batch(generationCmd(m.store), pollTick(m.sh.pollEvery))
	case generationMsg:
		if msg.gen != 0 && msg.gen != m.gen && m.store != nil {
			m.gen = msg.gen
			return m, m.reload()
		}
		return m, nil
	case agentAnsweredMsg:
		return m.agentAnswered(msg)
	case unlockedMsg:
		m.unlocking = false
		if msg.err != nil {
			if errors.Is(msg.err, workspace.ErrWrongPassphrase) && m.afterUnlock != nil {
				return m, m.askPassphrase("wrong passphrase: it does not unlock this workspace; try again")
			}
			m.afterUnlock = nil
			m.setError(msg.err)
			return m, nil
		}
		m.keys = msg.keys
		m.lastKey = m.sh.now()
		then := m.afterUnlock
		m.afterUnlock = nil
		if m.encrypted {
			// A workspace without a passphrase has nothing to unlock or lock.
			m.setInfo("keys unlocked for this session (L locks)")
		}
		if then != nil {
			return m, then(msg.keys)
		}
		return m, nil
	case actionDoneMsg:
		m.setInfo(safetext.Line(msg.info))
		if msg.select_ != "" {
			// The record appears with the reload; select it then.
			m.ids.pendingSelect = msg.select_
			m.cas.pendingSelect = msg.select_
		}
		return m, m.reload()
	case exportExistsMsg:
		return m, m.confirmOverwrite(msg)
	case needFilePassphraseMsg:
		return m, m.askFilePassphrase(msg)
	case reportReceivedMsg:
		if !m.composer.acceptReport(msg) {
			return m, nil // a cancelled or superseded request answered late
		}
		m.inspector.setReport(msg.report, msg.spec, true)
		m.composer.markIdentities(msg.report.Identities)
		m.showResult()
		return m, addHistoryCmd(m.store, msg.spec, msg.report, m.sh.now())
	case historyAddedMsg:
		return m, loadHistoryCmd(m.store)
	case requestSavedMsg:
		m.setInfo("saved request " + safetext.Line(msg.name))
		m.composer.saved(msg.name)
		return m, loadSavedCmd(m.store)
	case errMsg:
		m.setError(msg.err)
		return m, nil
	case openInspectorMsg:
		m.inspector.setReport(msg.report, msg.spec, false)
		m.showPage(pageInspector)
		return m, nil
	case compareMsg:
		m.inspector.setCompare(msg.a, msg.b)
		m.showPage(pageInspector)
		return m, nil
	case loadSpecMsg:
		m.composer.loadSpec(msg.spec, msg.name)
		m.showPage(pageComposer)
		return m, m.composer.focusCmd()
	case resendMsg:
		m.composer.loadSpec(msg.spec, msg.name)
		m.showPage(pageComposer)
		m.passing = true
		return m, m.composer.send(msg.spec.Probe)
	case completionFoundMsg:
		if m.modal != nil {
			return m, m.updateModal(msg)
		}
		return m, nil
	}
	// Anything else (spinner ticks, cursor blinks, record details) goes to the
	// screens that asked for it.
	var cmds []tea.Cmd
	if m.modal != nil {
		cmds = append(cmds, m.updateModal(msg))
	}
	if m.state == stateFirstRun {
		cmds = append(cmds, m.first.update(msg))
		return m, tea.Batch(cmds...)
	}
	switch msg.(type) {
	case recordLoadedMsg, revocationCheckedMsg:
		cmds = append(cmds, m.ids.update(msg), m.cas.update(msg))
	default:
		cmds = append(cmds, m.active().update(msg))
		if m.page != pageComposer {
			// The composer's spinner keeps turning while the inspector shows.
			cmds = append(cmds, m.composer.updateBackground(msg))
		}
	}
	return m, tea.Batch(cmds...)
}

func (m *model) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	m.lastKey = m.sh.now()
	if key.Matches(msg, m.sh.keys.ForceQuit) {
		return tea.Quit
	}
	switch {
	case m.modal != nil:
		return m.updateModal(msg)
	case m.palette != nil:
		return m.updatePalette(msg)
	case m.showHelp:
		if key.Matches(msg, helpOverlayKeys()...) {
			m.showHelp = false
		}
		return nil
	case m.state == stateFirstRun:
		return m.first.update(msg)
	case m.state != stateReady:
		if key.Matches(msg, m.sh.keys.Quit) {
			return tea.Quit
		}
		return nil
	case m.active().typing():
		return m.active().update(msg)
	}
	m.status = ""
	gk := m.globalNow()
	switch {
	case key.Matches(msg, gk.Quit):
		return m.quit()
	case key.Matches(msg, gk.Help):
		m.showHelp = true
		return nil
	case key.Matches(msg, gk.Palette):
		return m.openPalette()
	case key.Matches(msg, gk.Identities):
		m.showPage(pageIdentities)
		return m.ids.detailCmd()
	case key.Matches(msg, gk.CAs):
		m.showPage(pageCAs)
		return m.cas.detailCmd()
	case key.Matches(msg, gk.Composer):
		m.showPage(pageComposer)
		return m.composer.focusCmd()
	case key.Matches(msg, gk.History):
		m.showPage(pageHistory)
		return nil
	case key.Matches(msg, gk.NewRequest):
		m.composer.reset()
		m.showPage(pageComposer)
		return m.composer.focusCmd()
	case key.Matches(msg, gk.Lock):
		m.lockAgent()
		if m.keys == nil {
			m.setInfo("keys are already locked")
		} else {
			m.lock("keys locked")
		}
		return nil
	case key.Matches(msg, gk.Back):
		return m.goBack()
	}
	return m.active().update(msg)
}

func (m *model) lock(why string) {
	if m.keys != nil {
		m.keys.Lock()
	}
	m.keys = nil
	m.setInfo(why)
}

func (m *model) reload() tea.Cmd {
	if m.store == nil {
		return nil
	}
	return tea.Batch(loadEntriesCmd(m.store), loadHistoryCmd(m.store), loadSavedCmd(m.store))
}

func (m *model) setInfo(s string) { m.status, m.statusBad = s, false }

func (m *model) setError(err error) {
	if err == nil {
		return
	}
	m.status, m.statusBad = safetext.Line(err.Error()), true
}
