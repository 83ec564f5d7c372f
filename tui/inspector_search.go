package tui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// Search in the inspector: / searches the tab shown (a response body,
// a chain), case-insensitively; matching lines are highlighted, n and N go
// from one to the next, and the line under the tab says which match shows.

func (s *inspectorScreen) updateSearch(km tea.KeyPressMsg, k inspectorKeys) tea.Cmd {
	switch {
	case key.Matches(km, k.SearchApply):
		s.searching = false
		s.search.Blur()
		s.query = strings.TrimSpace(s.search.Value())
		s.render()
		s.firstMatch()
		return nil
	case key.Matches(km, k.SearchCancel):
		s.searching = false
		s.search.Blur()
		return nil
	}
	var c tea.Cmd
	s.search, c = s.search.Update(km)
	return c
}

// highlight marks the lines of content that hold the query and records
// where they are. A marked line loses its other colours: the match is what
// matters on it.
func (s *inspectorScreen) highlight(content string) string {
	s.matches = s.matches[:0]
	if s.query == "" {
		return content
	}
	st := &s.sh.styles
	q := strings.ToLower(s.query)
	lines := strings.Split(content, "\n")
	for i, l := range lines {
		plain := ansi.Strip(l)
		lower := strings.ToLower(plain)
		if !strings.Contains(lower, q) {
			continue
		}
		s.matches = append(s.matches, i)
		var b strings.Builder
		for rest, lrest := plain, lower; ; {
			j := strings.Index(lrest, q)
			if j < 0 || len(q) == 0 {
				b.WriteString(rest)
				break
			}
			b.WriteString(rest[:j])
			b.WriteString(st.match.Render(rest[j : j+len(q)]))
			rest, lrest = rest[j+len(q):], lrest[j+len(q):]
		}
		lines[i] = b.String()
	}
	return strings.Join(lines, "\n")
}

// firstMatch shows the first match at or below the top of the view.
func (s *inspectorScreen) firstMatch() {
	s.at = 0
	for i, l := range s.matches {
		if l >= s.vp.YOffset() {
			s.at = i
			break
		}
	}
	s.show()
}

func (s *inspectorScreen) jump(d int) {
	if len(s.matches) == 0 {
		return
	}
	s.at = (s.at + d + len(s.matches)) % len(s.matches)
	s.show()
}

// show scrolls so the match shown has a line of context above it.
func (s *inspectorScreen) show() {
	if s.at < len(s.matches) {
		s.vp.SetYOffset(max(s.matches[s.at]-1, 0))
	}
}

// footLine is the line under the tab: the search being typed, where the
// matches are, or where the view is.
func (s *inspectorScreen) footLine() string {
	st := &s.sh.styles
	switch {
	case s.searching:
		s.search.SetWidth(max(s.w-4, 4))
		return s.search.View()
	case s.query != "" && len(s.matches) == 0:
		return st.warn.Render(cut("no match for “"+safetext.Line(s.query)+"” in this tab (esc clears)", s.w))
	case s.query != "":
		return st.dim.Render(cut(fmt.Sprintf("“%s”: match %d of %d, line %d · n/N next/previous · esc clears",
			safetext.Line(s.query), s.at+1, len(s.matches), s.matches[s.at]+1), s.w))
	}
	return st.dim.Render(cut(scrollNote(&s.vp.Model), s.w))
}
