package tui

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
	"github.com/mtlswb/mtlswb/workspace"
)

// expiringSoon is when a certificate starts to wear an "expires in" badge.
const expiringSoon = 30 * 24 * time.Hour

// wideLayout is the width from which list and detail sit side by side.
const wideLayout = 100

type keystoreKeys struct {
	listKeys
	Filter, Sort, Open, Pane, Back, Clear        key.Binding
	Import, Issue, NewCA, Rename, Delete, Export key.Binding
	Copy, Token                                  key.Binding
	FilterApply, FilterCancel, FilterToList      key.Binding
}

func newKeystoreKeys(kind workspace.Kind) keystoreKeys {
	k := keystoreKeys{
		listKeys:     newListKeys(),
		Filter:       filterKey(),
		Sort:         bind("s", "sort name/expiry"),
		Open:         bind("enter", "details"),
		Pane:         paneKey("switch pane"),
		Back:         said(backKey(), "back to the list"),
		Clear:        bind("esc", "clear filter"),
		Import:       bind("i", "import"),
		Issue:        bind("+", "issue from CA"),
		NewCA:        bind("N", "new CA"),
		Rename:       bind("r", "rename"),
		Delete:       bind("d", "delete"),
		Export:       bind("e", "export"),
		Copy:         bind("c", "copy fingerprint"),
		Token:        bind("t", "check token (RFC 8705)"),
		FilterApply:  bind("enter", "keep filter"),
		FilterCancel: bind("esc", "clear filter"),
		FilterToList: bindKeys("↑/↓", "to the list", "up", "down"),
	}
	if kind != workspace.KindCA {
		k.Issue.SetEnabled(false)
		k.NewCA.SetEnabled(false)
	} else {
		k.Token.SetEnabled(false)
	}
	return k
}

// keysNow are the bindings of the state the screen is in: typing a filter,
// reading the detail pane, or moving in the list.
func (s *keystoreScreen) keysNow() keystoreKeys {
	k := s.km
	sel := s.list.selected() != nil
	filterKeys := []*key.Binding{&k.FilterApply, &k.FilterCancel, &k.FilterToList}
	if s.filtering {
		k.listKeys = k.listKeys.off()
		disable(&k.Filter, &k.Sort, &k.Open, &k.Pane, &k.Back, &k.Clear, &k.Import, &k.Issue,
			&k.NewCA, &k.Rename, &k.Delete, &k.Export, &k.Copy, &k.Token)
		return k
	}
	for _, b := range filterKeys {
		b.SetEnabled(false)
	}
	for _, b := range []*key.Binding{&k.Rename, &k.Delete, &k.Export, &k.Copy, &k.Token} {
		*b = on(*b, b.Enabled() && sel)
	}
	k.Issue = on(k.Issue, k.Issue.Enabled() && sel)
	if s.inDetail() {
		k.listKeys = k.listKeys.scrolling()
		k.Filter.SetEnabled(false)
		k.Sort.SetEnabled(false)
		k.Open.SetEnabled(false)
		k.Clear.SetEnabled(false)
		k.Pane = on(said(k.Pane, "to the list"), s.wide())
		return k
	}
	k.Back.SetEnabled(false)
	k.Open = on(k.Open, sel)
	k.Pane = on(said(k.Pane, "to the details"), s.wide() && sel)
	k.Clear = on(k.Clear, s.list.filter != "")
	return k
}

// inDetail reports whether keys go to the detail pane.
func (s *keystoreScreen) inDetail() bool {
	return s.focus == focusDetail || (s.detailOpen && !s.wide())
}

func (s *keystoreScreen) keys() keySet {
	k := s.keysNow()
	switch {
	case s.filtering:
		return flat([]key.Binding{k.FilterApply, k.FilterCancel, k.FilterToList}...)
	case s.inDetail():
		return keySet{
			short: []key.Binding{k.Down, k.Up, k.Back, k.Pane, k.Export, k.Copy, k.Token},
			full: [][]key.Binding{
				k.listKeys.help(),
				{k.Back, k.Pane},
				{k.Import, k.Issue, k.NewCA, k.Rename, k.Delete, k.Export, k.Copy, k.Token},
			},
		}
	}
	return keySet{
		short: []key.Binding{k.Filter, k.Open, k.Import, k.Issue, k.NewCA, k.Export, k.Delete, k.Rename, k.Copy, k.Token},
		full: [][]key.Binding{
			k.listKeys.help(),
			{k.Filter, k.Clear, k.Sort, k.Open, k.Pane},
			{k.Import, k.Issue, k.NewCA, k.Rename, k.Delete, k.Export, k.Copy, k.Token},
		},
	}
}

func (s *keystoreScreen) commands() []command {
	k := s.keysNow()
	if !k.NewCA.Enabled() {
		return nil
	}
	return []command{{name: "ca", desc: k.NewCA.Help().Desc, key: "N"}}
}

type ksFocus int

const (
	focusList ksFocus = iota
	focusDetail
)

// keystoreScreen lists identities or CAs with a detail pane.
type keystoreScreen struct {
	sh   *shared
	kind workspace.Kind
	km   keystoreKeys
	list winList
	// entries points into mine, so a 100k-row reload assigns pointers, not
	// 200-byte structs.
	entries map[string]*workspace.Entry
	mine    []workspace.Entry
	caNames []string
	byExp   bool
	// pendingSelect is a record a write just made; it is selected when the
	// reload that carries it arrives.
	pendingSelect string

	filtering bool
	filter    textinput.Model

	focus      ksFocus
	detailOpen bool // narrow layout: the detail replaces the list
	detail     pane
	recSeq     int
	recWant    string
	rec        *recordLoadedMsg

	w, h int
}

func newKeystoreScreen(sh *shared, kind workspace.Kind) *keystoreScreen {
	s := &keystoreScreen{sh: sh, kind: kind, km: newKeystoreKeys(kind), entries: map[string]*workspace.Entry{}}
	s.list.cols = keystoreCols
	s.filter = textinput.New()
	s.filter.Prompt = "/ "
	themeInput(&s.filter, &sh.styles)
	s.filter.Placeholder = placeholder(&sh.styles, "filter by name, subject, issuer, key type")
	s.detail = newPane()
	s.list.empty = "nothing here yet: press i to import a certificate and key"
	if kind == workspace.KindCA {
		s.list.empty = "no CAs yet: press i to import a CA certificate"
	}
	return s
}

func (s *keystoreScreen) typing() bool { return s.filtering }
func (s *keystoreScreen) wide() bool   { return s.w >= wideLayout }
func (s *keystoreScreen) restyle() {
	themeInput(&s.filter, &s.sh.styles)
	s.renderDetail()
}

func (s *keystoreScreen) setSize(w, h int) {
	s.w, s.h = w, h
	listH := h - 2 // title line and filter/position line
	if s.wide() {
		lw := s.listWidth()
		s.list.setSize(lw, listH)
		s.detail.SetWidth(w - lw - 3)
	} else {
		s.list.setSize(w, listH)
		s.detail.SetWidth(w)
	}
	s.detail.SetHeight(max(h-2, 1)) // title line and scroll line
	// The focused pane stays on screen: below wideLayout the detail pane
	// replaces the list, above it they sit side by side.
	switch {
	case s.wide() && s.detailOpen:
		s.detailOpen, s.focus = false, focusDetail
	case !s.wide() && s.focus == focusDetail:
		s.detailOpen, s.focus = true, focusList
	}
	s.renderDetail()
}

func (s *keystoreScreen) listWidth() int { return s.w * 45 / 100 }

// setEntries rebuilds the rows: text is sanitized and laid out once here, so
// View does no per-row formatting beyond cutting to width.
func (s *keystoreScreen) setEntries(all []workspace.Entry) {
	now := s.sh.now()
	n := 0
	for i := range all {
		if all[i].Kind == s.kind {
			n++
		}
	}
	mine := make([]workspace.Entry, 0, n)
	s.caNames = s.caNames[:0]
	clear(s.entries)
	for _, e := range all {
		if e.Kind == workspace.KindCA {
			s.caNames = append(s.caNames, e.Name)
		}
		if e.Kind == s.kind {
			mine = append(mine, e)
			s.entries[e.Name] = &mine[len(mine)-1] // cap is n: no reallocation moves it
		}
	}
	s.mine = mine
	rows := make([]row, len(mine))
	for i, e := range mine {
		name, cn := safetext.Line(e.Name), safetext.Line(e.SubjectCN)
		rows[i] = row{
			key:    e.Name,
			cells:  []string{name, cn, e.NotAfter.UTC().Format("2006-01-02"), safetext.Line(e.KeyType)},
			hay:    strings.ToLower(name + " " + cn + " " + safetext.Line(e.IssuerCN) + " " + e.KeyType + " " + strings.Join(e.Labels, " ")),
			badges: entryBadges(e, now),
		}
	}
	s.sortRows(rows)
	s.list.setRows(rows)
	if s.pendingSelect != "" {
		if _, ok := s.entries[s.pendingSelect]; ok {
			s.list.selectKey(s.pendingSelect)
		}
		s.pendingSelect = ""
	}
	if s.rec != nil {
		if _, still := s.entries[s.rec.name]; !still {
			s.rec = nil
			s.renderDetail()
		}
	}
	// A reload (the CLI changed the file) may have changed the record shown.
	s.recWant = ""
}

// keystoreCols: at 80 columns (or in the wide layout's list pane) the key
// type goes first, then the subject; name and expiry always show.
var keystoreCols = []column{
	{title: "Name", min: 8},
	{title: "Subject CN", min: 8, flex: true, drop: 2},
	{title: "Expires", min: 10},
	{title: "Key", min: 7, drop: 1},
}

func (s *keystoreScreen) sortRows(rows []row) {
	s.list.sortCol = 0
	if s.byExp {
		s.list.sortCol = 2
		sort.SliceStable(rows, func(i, j int) bool {
			a, b := s.entries[rows[i].key].NotAfter, s.entries[rows[j].key].NotAfter
			if !a.Equal(b) {
				return a.Before(b)
			}
			return rows[i].key < rows[j].key
		})
		return
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].key < rows[j].key })
}

func entryBadges(e workspace.Entry, now time.Time) []badge {
	var out []badge
	switch {
	case now.After(e.NotAfter):
		out = append(out, badge{"EXPIRED", badgeBad})
	case now.Before(e.NotBefore):
		out = append(out, badge{"NOT YET VALID", badgeBad})
	case e.NotAfter.Sub(now) <= expiringSoon:
		out = append(out, badge{fmt.Sprintf("expires in %dd", int(e.NotAfter.Sub(now).Hours()/24)), badgeWarn})
	}
	if e.Kind == workspace.KindIdentity && !e.ClientAuth {
		out = append(out, badge{"no clientAuth", badgeWarn})
	}
	if e.Kind == workspace.KindCA && e.HasKey {
		out = append(out, badge{"can issue", badgeDim})
	}
	return out
}

func (s *keystoreScreen) selectedEntry() (workspace.Entry, bool) {
	r := s.list.selected()
	if r == nil {
		return workspace.Entry{}, false
	}
	e, ok := s.entries[r.key]
	if !ok {
		return workspace.Entry{}, false
	}
	return *e, true
}

// detailCmd loads the selected record when the detail pane shows and does
// not hold it yet. Each load is a fresh read, tagged so a slow answer for a
// row the cursor has left is dropped.
func (s *keystoreScreen) detailCmd() tea.Cmd {
	if !(s.wide() || s.detailOpen) || s.sh.store == nil {
		return nil
	}
	e, ok := s.selectedEntry()
	if !ok && s.rec != nil {
		// A filter hid the record shown: the pane must not keep showing it.
		s.rec, s.recWant = nil, ""
		s.recSeq++
		s.renderDetail()
	}
	if !ok || e.Name == s.recWant {
		return nil
	}
	s.recSeq++
	s.recWant = e.Name
	return loadRecordCmd(s.sh.store, s.recSeq, e.Name, append([]string(nil), s.caNames...), s.sh.now())
}

func (s *keystoreScreen) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case recordLoadedMsg:
		if msg.seq != s.recSeq || msg.name != s.recWant {
			return nil
		}
		if msg.err != nil {
			if errors.Is(msg.err, workspace.ErrNotFound) {
				return nil // removed by the CLI meanwhile: the reload will follow
			}
			s.sh.host.setError(msg.err)
			return nil
		}
		m := msg
		s.rec = &m
		s.renderDetail()
		if leaf := m.rec.Chain[0]; m.rec.Kind == workspace.KindIdentity && wantsRevocation(leaf) {
			return checkRevocationCmd(m.seq, m.name, leaf, m.issuer)
		}
		return nil
	case revocationCheckedMsg:
		if s.rec != nil && msg.seq == s.rec.seq && msg.name == s.rec.name {
			st := msg.status
			s.rec.revocation = &st
			s.renderDetail()
		}
		return nil
	case tea.KeyPressMsg:
		if s.filtering {
			return s.updateFilter(msg)
		}
		return s.handleKey(msg)
	}
	if s.filtering {
		var c tea.Cmd
		s.filter, c = s.filter.Update(msg)
		return c
	}
	return nil
}

func (s *keystoreScreen) updateFilter(msg tea.KeyPressMsg) tea.Cmd {
	k := s.keysNow()
	switch {
	case key.Matches(msg, k.FilterApply), key.Matches(msg, k.FilterToList):
		s.filtering = false
		s.filter.Blur()
		if key.Matches(msg, k.FilterToList) {
			return s.handleKey(msg)
		}
		return s.detailCmd()
	case key.Matches(msg, k.FilterCancel):
		s.filtering = false
		s.filter.Blur()
		s.filter.SetValue("")
		s.list.setFilter("")
		return s.detailCmd()
	}
	var c tea.Cmd
	s.filter, c = s.filter.Update(msg)
	s.list.setFilter(s.filter.Value())
	return tea.Batch(c, s.detailCmd())
}

func (s *keystoreScreen) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	k := s.keysNow()
	if s.inDetail() {
		switch {
		case key.Matches(msg, k.Back) && !s.wide():
			s.detailOpen = false
			s.focus = focusList
			return nil
		case key.Matches(msg, k.Back), key.Matches(msg, k.Pane):
			s.focus = focusList
			return nil
		case k.scroll(&s.detail.Model, msg):
			return nil
		}
		return s.actionKey(msg)
	}
	switch {
	case k.navigate(&s.list, msg):
	case key.Matches(msg, k.Filter):
		s.filtering = true
		return s.filter.Focus()
	case key.Matches(msg, k.Sort):
		s.byExp = !s.byExp
		rows := append([]row(nil), s.list.rows...)
		s.sortRows(rows)
		s.list.setRows(rows)
		if s.byExp {
			s.sh.host.setInfo("sorted by expiry, soonest first")
		} else {
			s.sh.host.setInfo("sorted by name")
		}
	case key.Matches(msg, k.Open):
		if s.wide() {
			s.focus = focusDetail
		} else {
			s.detailOpen = true
		}
		s.detail.GotoTop()
	case key.Matches(msg, k.Pane):
		s.focus = focusDetail
		return nil
	case key.Matches(msg, k.Clear):
		s.filter.SetValue("")
		s.list.setFilter("")
	default:
		return s.actionKey(msg)
	}
	return s.detailCmd()
}

func (s *keystoreScreen) actionKey(msg tea.KeyPressMsg) tea.Cmd {
	k := s.keysNow()
	switch {
	case key.Matches(msg, k.Import):
		return s.importForm()
	case key.Matches(msg, k.Issue):
		return s.issueForm()
	case key.Matches(msg, k.NewCA):
		return s.newCAForm()
	}
	e, ok := s.selectedEntry()
	if !ok {
		return nil
	}
	store := s.sh.store
	switch {
	case key.Matches(msg, k.Rename):
		f := newForm("Rename "+safetext.Line(e.Name), "Saved requests that name it keep the old name until you edit them.")
		f.addText("New name", e.Name, "")
		old := e.Name
		f.submit = func(v []string) (tea.Cmd, error) {
			to := strings.TrimSpace(v[0])
			if err := workspace.ValidateName(to); err != nil {
				return nil, err
			}
			if to == old {
				return nil, errors.New("that is the current name: type a new one or press esc")
			}
			return renameCmd(store, old, to), nil
		}
		return s.sh.host.openForm(f)
	case key.Matches(msg, k.Delete):
		what := "identity"
		if e.Kind == workspace.KindCA {
			what = "CA"
		}
		f := newForm("Delete "+what+" "+safetext.Line(e.Name)+"?",
			"This removes the certificate and its private key from the workspace. It cannot be undone; export it first if you may need it.")
		f.confirm = true
		name := e.Name
		f.submit = func([]string) (tea.Cmd, error) { return removeCmd(store, name, false), nil }
		return s.sh.host.openForm(f)
	case key.Matches(msg, k.Export):
		return s.exportForm(e)
	case key.Matches(msg, k.Token):
		return s.tokenCheckForm(e)
	case key.Matches(msg, k.Copy):
		s.sh.host.setInfo("copied the SHA-256 fingerprint of " + safetext.Line(e.Name) + " (OSC 52)")
		return tea.SetClipboard(e.SHA256)
	}
	return nil
}

func (s *keystoreScreen) title() string {
	if s.kind == workspace.KindCA {
		return "Certificate authorities"
	}
	return "Client identities"
}

func (s *keystoreScreen) view() string {
	st := &s.sh.styles
	if !s.wide() && s.detailOpen {
		return s.detailPane(true)
	}
	lw := s.list.width
	sortName := "name"
	if s.byExp {
		sortName = "expiry"
	}
	header := paneTitle(st, s.title(), s.focus == focusList || !s.wide()) + st.dim.Render(" · sorted by "+sortName+" · "+s.list.position())
	var foot string
	switch {
	case s.filtering:
		s.filter.SetWidth(max(lw-4, 4))
		foot = s.filter.View()
	case s.list.filter != "":
		foot = st.dim.Render(cut("filter: "+safetext.Line(s.list.filter)+"  (/ edit, esc clear)", lw))
	default:
		foot = st.dim.Render(cut("/ filter · s sort · enter details", lw))
	}
	left := clampBlock(cut(header, lw)+"\n"+s.list.view(st, s.focus == focusList)+"\n"+foot, lw, s.h)
	if !s.wide() {
		return left
	}
	bar := st.border
	if s.focus == focusDetail {
		bar = st.focus
	}
	// Joined line by line: both blocks are exactly s.h lines, the left one
	// padded to its width (lipgloss.JoinHorizontal measures every line
	// again).
	sep := " " + bar.Render("│") + " "
	ll, rl := strings.Split(left, "\n"), strings.Split(s.detailPane(s.focus == focusDetail), "\n")
	var b strings.Builder
	for i := range s.h {
		if i > 0 {
			b.WriteByte('\n')
		}
		l, r := "", ""
		if i < len(ll) {
			l = ll[i]
		}
		if i < len(rl) {
			r = rl[i]
		}
		b.WriteString(l + strings.Repeat(" ", max(lw-textWidth(l), 0)) + sep + r)
	}
	return b.String()
}

// detailPane is the record's detail under a title, with where the view
// is in it below.
func (s *keystoreScreen) detailPane(focused bool) string {
	st := &s.sh.styles
	w := s.detail.Width()
	title := paneTitle(st, "Details", focused)
	if s.rec != nil && s.rec.rec != nil {
		title += st.dim.Render(" · " + safetext.Line(s.rec.name))
	}
	return clampBlock(cut(title, w)+"\n"+s.detail.View()+"\n"+st.dim.Render(cut(scrollNote(&s.detail.Model), w)), w, s.h)
}
