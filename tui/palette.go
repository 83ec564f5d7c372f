package tui

import (
	"sort"
	"strconv"
	"strings"
	"unicode"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
)

// The : palette (k9s's command prompt) lists every action of the state it
// was opened from — the screen's bindings, the root's, and the commands
// that have no key (save, copy as curl…) — with its key, filtered fuzzily
// as the user types. Choosing an action that has a key replays that key, so
// the palette and the key cannot do different things.

// command is an action only the palette offers, or one it offers under a
// name as well as a key.
type command struct {
	name string // what follows ":", e.g. "save"
	desc string
	key  string // the key that does the same, "" when there is none
	run  func() tea.Cmd
}

type paletteEntry struct {
	name, desc, key string
	hay             string
	run             func() tea.Cmd
}

type palette struct {
	input   textinput.Model
	entries []paletteEntry
	shown   []int // indices into entries, best match first
	list    winList
}

type paletteKeys struct {
	Run, Up, Down, Close key.Binding
}

func newPaletteKeys() paletteKeys {
	return paletteKeys{
		Run:   bind("enter", "run"),
		Up:    bindKeys("↑", "up", "up"),
		Down:  bindKeys("↓", "down", "down"),
		Close: bind("esc", "close"),
	}
}

func (k paletteKeys) set() keySet {
	return flat([]key.Binding{k.Run, k.Up, k.Down, k.Close}...)
}

// openPalette gathers the actions of the current state and shows them.
func (m *model) openPalette() tea.Cmd {
	var entries []paletteEntry
	seen := map[string]bool{}
	add := func(e paletteEntry) {
		id := e.key + "\x00" + e.desc
		if seen[id] {
			return
		}
		seen[id] = true
		e.hay = strings.ToLower(e.name + " " + e.desc + " " + e.key)
		entries = append(entries, e)
	}
	for _, c := range m.active().commands() {
		run := c.run
		if c.key != "" {
			// A command with a key is that key, pressed.
			k := c.key
			run = func() tea.Cmd { return m.handleKey(keyPress(k)) }
		}
		add(paletteEntry{name: c.name, desc: c.desc, key: c.key, run: run})
	}
	replay := func(b key.Binding) {
		if !b.Enabled() || len(b.Keys()) == 0 {
			return
		}
		k := b.Keys()[0]
		add(paletteEntry{desc: b.Help().Desc, key: b.Help().Key, run: func() tea.Cmd { return m.handleKey(keyPress(k)) }})
	}
	for _, g := range m.active().keys().full {
		for _, b := range g {
			replay(b)
		}
	}
	gk := m.globalNow()
	for _, g := range gk.groups() {
		for _, b := range g {
			if b.Help().Key != gk.Palette.Help().Key {
				replay(b)
			}
		}
	}
	p := &palette{entries: entries}
	p.input = textinput.New()
	p.input.Prompt = ": "
	p.input.Placeholder = placeholder(&m.sh.styles, "type to filter, enter runs")
	themeInput(&p.input, &m.sh.styles)
	p.list.empty = "no action matches"
	// Best match first: no column is sorted.
	p.list.cols = []column{{title: "Key", min: 3}, {title: "Action", min: 10, flex: true}, {title: "Command", min: 5, drop: 1}}
	p.list.sortCol = -1
	m.palette = p
	m.sizePalette()
	p.filter()
	return p.input.Focus()
}

func (m *model) sizePalette() {
	if m.palette == nil {
		return
	}
	w, h := m.paletteBox()
	m.palette.input.SetWidth(max(w-4, 4))
	m.palette.list.setSize(w, h-2)
}

// paletteBox is the palette's inner size: most of the body, never more
// than it.
func (m *model) paletteBox() (w, h int) {
	return max(min(m.sh.width-4, 90), 10), max(min(m.sh.height-2, 24), 3)
}

func (m *model) updatePalette(msg tea.KeyPressMsg) tea.Cmd {
	p := m.palette
	k := newPaletteKeys()
	switch {
	case key.Matches(msg, k.Close):
		m.palette = nil
		return nil
	case key.Matches(msg, k.Up):
		p.list.move(-1)
		return nil
	case key.Matches(msg, k.Down):
		p.list.move(1)
		return nil
	case key.Matches(msg, k.Run):
		r := p.list.selected()
		m.palette = nil
		if r == nil {
			return nil
		}
		i, err := strconv.Atoi(r.key)
		if err != nil || i >= len(p.entries) {
			return nil
		}
		return p.entries[i].run()
	}
	var c tea.Cmd
	was := p.input.Value()
	p.input, c = p.input.Update(msg)
	if p.input.Value() != was {
		p.filter()
	}
	return c
}

// filter orders the entries by how well they match what is typed.
func (p *palette) filter() {
	q := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(p.input.Value(), ":")))
	type scored struct{ i, score int }
	var hits []scored
	for i, e := range p.entries {
		if s, ok := fuzzyScore(q, e.hay); ok {
			hits = append(hits, scored{i, s})
		}
	}
	sort.SliceStable(hits, func(a, b int) bool { return hits[a].score > hits[b].score })
	rows := make([]row, len(hits))
	for j, h := range hits {
		e := p.entries[h.i]
		name := ""
		if e.name != "" {
			name = ":" + e.name
		}
		rows[j] = row{key: strconv.Itoa(h.i), cells: []string{e.key, e.desc, name}, hay: e.hay}
	}
	p.list.cursor, p.list.offset = 0, 0
	p.list.setRows(rows)
	p.list.cursor = 0
	p.list.clamp()
}

// fuzzyScore matches the letters of q in order anywhere in hay (case
// already folded). Consecutive letters and letters that start a word
// score more, so "sv" ranks "save" above "server verification".
func fuzzyScore(q, hay string) (int, bool) {
	if q == "" {
		return 0, true
	}
	h := []rune(hay)
	score, hi, prev := 0, 0, -2
	for _, qr := range q {
		found := false
		for hi < len(h) {
			at := hi
			hi++
			if h[at] != qr {
				continue
			}
			found = true
			score++
			if at == prev+1 {
				score += 3
			}
			if at == 0 || !unicode.IsLetter(h[at-1]) {
				score += 2
			}
			prev = at
			break
		}
		if !found {
			return 0, false
		}
	}
	return score - len(h)/16, true
}

func (m *model) paletteView() string {
	st := &m.sh.styles
	p := m.palette
	w, _ := m.paletteBox()
	head := st.title.Render("Commands") + st.dim.Render(cut("  every action here, with its key", max(w-8, 0)))
	return head + "\n" + p.input.View() + "\n" + p.list.view(st, true)
}
