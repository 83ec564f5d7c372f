package tui

import (
	"context"
	"errors"
	"os"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

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
// forwards messages to it while it is active and asks it for help.
type screen interface {
	update(msg tea.Msg) tea.Cmd
	view() string
	setSize(w, h int)
	help() help.KeyMap
	// typing reports whether keys go to a text input, so the root leaves
	// single-letter keys (q, 1-4, ?) alone.
	typing() bool
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

	page, back page
	screens    map[page]screen
	ids, cas   *keystoreScreen
	composer   *composerScreen
	inspector  *inspectorScreen
	history    *historyScreen
	first      *firstRunScreen

	modal       *form
	afterUnlock func(*workspace.Keys) tea.Cmd
	unlocking   bool

	helpModel help.Model
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
	m.helpModel = help.New()
	m.applyHelpStyles()
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

func (m *model) applyHelpStyles() {
	if m.sh.styles.plain {
		s := lipgloss.NewStyle()
		m.helpModel.Styles = help.Styles{Ellipsis: s, ShortKey: s, ShortDesc: s, ShortSeparator: s,
			FullKey: s, FullDesc: s, FullSeparator: s}
		return
	}
	m.helpModel.Styles = help.DefaultStyles(m.isDark)
}

// layout hands every screen its share of the terminal: one line of tabs on
// top, a status line and a help line at the bottom.
func (m *model) layout() {
	m.sh.width = m.width
	m.sh.height = max(m.height-3-m.guideLines(), 3)
	m.helpModel.SetWidth(m.width)
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
		m.applyHelpStyles()
		m.ids.restyle()
		m.cas.restyle()
		m.inspector.restyle()
		m.history.restyle()
		return m, nil
	case tea.KeyPressMsg:
		return m, m.handleKey(msg)
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
		m.showPage(pageInspector)
		return m, addHistoryCmd(m.store, msg.spec, msg.report, m.sh.now())
	case historyAddedMsg:
		return m, loadHistoryCmd(m.store)
	case requestSavedMsg:
		m.setInfo("saved request " + safetext.Line(msg.name))
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
		m.composer.loadSpec(msg.spec)
		m.showPage(pageComposer)
		return m, m.composer.focusCmd()
	case resendMsg:
		m.composer.loadSpec(msg.spec)
		m.showPage(pageComposer)
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
	case recordLoadedMsg:
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
	k := msg.String()
	if k == "ctrl+c" {
		return tea.Quit
	}
	if m.modal != nil {
		return m.updateModal(msg)
	}
	if m.showHelp {
		if k == "?" || k == "esc" || k == "q" {
			m.showHelp = false
		}
		return nil
	}
	if m.state == stateFirstRun {
		return m.first.update(msg)
	}
	if m.state != stateReady {
		if k == "q" {
			return tea.Quit
		}
		return nil
	}
	if m.active().typing() {
		return m.active().update(msg)
	}
	m.status = ""
	gk := m.sh.keys
	switch {
	case key.Matches(msg, gk.Quit):
		return tea.Quit
	case key.Matches(msg, gk.Help):
		m.showHelp = true
		return nil
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
	case key.Matches(msg, gk.NewRequest) && m.page != pageHistory:
		m.composer.reset()
		m.showPage(pageComposer)
		return m.composer.focusCmd()
	case key.Matches(msg, gk.Lock):
		if m.keys == nil {
			m.setInfo("keys are already locked")
		} else {
			m.lock("keys locked")
		}
		return nil
	case key.Matches(msg, gk.Back) && m.page == pageInspector && !m.inspector.capturesBack():
		m.showPage(m.back)
		return nil
	}
	return m.active().update(msg)
}

func (m *model) showPage(p page) {
	if p == m.page {
		return
	}
	if p == pageInspector {
		m.back = m.page
	}
	m.page = p
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

func (m *model) updateModal(msg tea.Msg) tea.Cmd {
	f := m.modal
	done, cmd := f.update(msg)
	if done && m.modal == f {
		m.modal = nil
	}
	return cmd
}

// openForm shows f as the modal; it replaces any other.
func (m *model) openForm(f *form) tea.Cmd {
	m.modal = f
	return f.init()
}

// withKeys runs then with unlocked keys, asking for the passphrase first when
// the workspace is encrypted and locked. Unlocking is slow on purpose
// (Argon2id), so it runs in a command too.
func (m *model) withKeys(then func(*workspace.Keys) tea.Cmd) tea.Cmd {
	if m.store == nil {
		return nil
	}
	if m.keys != nil {
		return then(m.keys)
	}
	m.afterUnlock = then
	if !m.encrypted {
		m.unlocking = true
		return unlockCmd(m.store, nil)
	}
	return m.askPassphrase("")
}

func (m *model) askPassphrase(problem string) tea.Cmd {
	f := newForm("Unlock the workspace",
		"This needs a private key. The passphrase unlocks the keys for this session;",
		"they lock again after 15 idle minutes or when you press L.")
	f.addSecret("Passphrase")
	f.err = problem
	store := m.store
	f.submit = func(vals []string) (tea.Cmd, error) {
		if vals[0] == "" {
			return nil, errors.New("type the workspace passphrase, or press esc to cancel")
		}
		m.unlocking = true
		return unlockCmd(store, []byte(vals[0])), nil
	}
	f.cancel = func() tea.Cmd {
		m.afterUnlock = nil
		m.setInfo("cancelled: the keys stay locked")
		return nil
	}
	return m.openForm(f)
}

func (m *model) askFilePassphrase(msg needFilePassphraseMsg) tea.Cmd {
	problem := ""
	if msg.wrong {
		problem = "wrong passphrase for the file; try again"
	}
	f := newForm("File passphrase", "The file "+safetext.Line(strings.Join(msg.paths, ", "))+" is encrypted.")
	f.addSecret("Passphrase")
	f.err = problem
	store, keys := m.store, m.keys
	f.submit = func(vals []string) (tea.Cmd, error) {
		return importCmd(store, keys, msg.paths, msg.name, msg.as, []byte(vals[0])), nil
	}
	return m.openForm(f)
}

func (m *model) confirmOverwrite(msg exportExistsMsg) tea.Cmd {
	f := newForm("Replace file?", safetext.Line(msg.path)+" exists. Replace it with the export of "+safetext.Line(msg.name)+"?")
	f.confirm = true
	store, keys := m.store, m.keys
	f.submit = func([]string) (tea.Cmd, error) {
		return exportCmd(store, keys, msg.name, msg.format, msg.path, msg.pass, true), nil
	}
	f.cancel = func() tea.Cmd {
		m.setInfo("export cancelled: " + safetext.Line(msg.path) + " left as it was")
		return nil
	}
	return m.openForm(f)
}

var pageNames = []struct {
	p    page
	name string
}{{pageIdentities, "1 Identities"}, {pageCAs, "2 CAs"}, {pageComposer, "3 Composer"}, {pageHistory, "4 History"}, {pageInspector, "Result"}}

func (m *model) tabBar() string {
	st := &m.sh.styles
	if m.state != stateReady {
		return st.title.Render("mtlswb")
	}
	var parts []string
	for _, pn := range pageNames {
		if pn.p == pageInspector && !m.inspector.hasReport() {
			continue
		}
		label := " " + pn.name + " "
		if pn.p == m.page {
			// Brackets mark the active tab without colour too (NO_COLOR).
			label = "[" + pn.name + "]"
			parts = append(parts, st.tabActive.Render(label))
		} else {
			parts = append(parts, st.tab.Render(label))
		}
	}
	left := st.title.Render("mtlswb") + " " + strings.Join(parts, "")
	right := ""
	switch {
	case m.store == nil:
	case m.sh.guide != "":
		// A demo workspace is labelled as such wherever it shows.
		right = st.warn.Render("DEMO")
	case !m.encrypted:
		right = "no passphrase"
	case m.keys != nil:
		right = st.warn.Render("unlocked")
	default:
		right = "locked"
	}
	gap := m.width - lipgloss.Width(left) - lipgloss.Width(right)
	if gap < 1 {
		return cut(left, m.width)
	}
	return left + strings.Repeat(" ", gap) + right
}

func (m *model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "mtlswb"
	return v
}

func (m *model) render() string {
	st := &m.sh.styles
	var body string
	var helpKeys help.KeyMap = m.sh.keys
	switch {
	case m.state == stateLoading:
		body = "opening " + safetext.Line(m.opts.WorkspacePath) + " …"
	case m.state == stateFirstRun:
		body = m.first.view()
		helpKeys = m.first.help()
	default:
		body = m.active().view()
		helpKeys = m.active().help()
	}
	if m.showHelp {
		body = m.fullHelp()
	}
	if m.modal != nil {
		box := lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(st.border.GetForeground()).Padding(0, 1)
		if st.plain {
			box = lipgloss.NewStyle().Border(lipgloss.NormalBorder()).Padding(0, 1)
		}
		body = lipgloss.Place(m.sh.width, m.sh.height, lipgloss.Center, lipgloss.Center, box.Render(m.modal.view(st, m.sh.width-4)))
	}
	body = clampBlock(body, m.sh.width, m.sh.height)
	status := m.status
	if m.unlocking {
		status = "unlocking …"
	}
	if m.statusBad {
		status = st.errLine.Render(cut(status, m.width))
	} else {
		status = st.info.Render(cut(status, m.width))
	}
	helpLine := m.helpModel.ShortHelpView(helpKeys.ShortHelp())
	top := m.tabBar()
	if m.guideLines() > 0 {
		top += "\n" + st.warn.Render(cut(m.sh.guide, m.width))
	}
	return top + "\n" + body + "\n" + status + "\n" + helpLine
}

func (m *model) fullHelp() string {
	st := &m.sh.styles
	var groups [][]key.Binding
	groups = append(groups, m.sh.keys.FullHelp()...)
	if m.state == stateReady {
		groups = append(groups, m.active().help().FullHelp()...)
	}
	var b strings.Builder
	b.WriteString(st.title.Render("Keys") + st.dim.Render("  (? or esc closes)") + "\n\n")
	if m.sh.guide != "" {
		for _, l := range wrapLines(m.sh.guide, m.sh.width) {
			b.WriteString(l + "\n")
		}
		b.WriteString("\n")
	}
	rows := max(m.sh.height-strings.Count(b.String(), "\n")-1, 4)
	b.WriteString(helpColumns(st, groups, rows, m.sh.width))
	return b.String()
}

// helpColumns lays every binding out top to bottom in as many columns as
// the height needs; bubbles' help draws one column per group, which runs
// off an 80-column terminal.
func helpColumns(st *styles, groups [][]key.Binding, rows, width int) string {
	type entry struct{ k, d string }
	var entries []entry
	seen := map[string]bool{}
	keyW := 0
	for _, g := range groups {
		for _, b := range g {
			h := b.Help()
			if !b.Enabled() || h.Key == "" || seen[h.Key+h.Desc] {
				continue
			}
			seen[h.Key+h.Desc] = true
			entries = append(entries, entry{h.Key, h.Desc})
			keyW = max(keyW, lipgloss.Width(h.Key))
		}
	}
	var cols [][]string
	for i := 0; i < len(entries); i += rows {
		var col []string
		for _, e := range entries[i:min(i+rows, len(entries))] {
			col = append(col, st.key.Render(fit(e.k, keyW))+"  "+st.dim.Render(e.d))
		}
		cols = append(cols, col)
	}
	var blocks []string
	for _, c := range cols {
		blocks = append(blocks, padLines(strings.Join(c, "\n"), 0)+"   ")
	}
	_ = width // render() cuts every line to the terminal width
	return lipgloss.JoinHorizontal(lipgloss.Top, blocks...)
}

// clampBlock makes s exactly h lines of at most w cells, so a screen that
// draws too much cannot push the status and help lines off the terminal.
func clampBlock(s string, w, h int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		if lipgloss.Width(l) > w {
			lines[i] = truncateStyled(l, w)
		}
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// truncateStyled cuts a styled line to w cells, keeping its escapes intact.
func truncateStyled(s string, w int) string { return ansi.Truncate(s, w, "") }
