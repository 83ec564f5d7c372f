package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/mtlswb/mtlswb/tlsengine"
)

// TestTimingShowsPhasesThatDidNotRun: a handshake failure has no request,
// wait or transfer; they show "—", never a time.
func TestTimingShowsPhasesThatDidNotRun(t *testing.T) {
	st := newStyles(true, true)
	fail := failureReport()
	out := renderTiming(&st, &fail, 80)
	for _, name := range []string{"Request sent", "Server wait", "Transfer"} {
		line := lineWith(out, name)
		if !strings.Contains(line, "—") || strings.Contains(line, "ms") {
			t.Errorf("%s after a handshake failure: %q", name, line)
		}
	}
	if line := lineWith(out, "TLS handshake"); !strings.Contains(line, "3.2 ms") {
		t.Errorf("the handshake's time is lost: %q", line)
	}
	ok := okReport()
	out = renderTiming(&st, &ok, 80)
	if strings.Contains(out, "—") {
		t.Errorf("a complete request shows a phase as not run:\n%s", out)
	}
	probe := okReport()
	probe.HTTP, probe.Request.Probe = nil, true
	probe.Timing = tlsengine.Timing{DNSMs: 0.3, ConnectMs: 0.5, TLSMs: 3, TotalMs: 3.8}
	out = renderTiming(&st, &probe, 80)
	if line := lineWith(out, "Transfer"); !strings.Contains(line, "—") {
		t.Errorf("a probe shows a transfer: %q", line)
	}
}

func lineWith(s, prefix string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// TestResponseSearch: / finds lines, n and N move between them, esc clears,
// End and Home reach the ends.
func TestResponseSearch(t *testing.T) {
	lab := newKeyLab(t)
	m := lab.model(focusState{w: 100, h: 16, setup: []string{"4", "enter"}})
	if m.inspector.tab != tabResponse {
		t.Fatalf("setup: tab %d", m.inspector.tab)
	}
	press(t, m, "/")
	typeText(t, m, "ITEM")
	press(t, m, "enter")
	if len(m.inspector.matches) != 2 {
		t.Fatalf("matches %v, want the two item lines:\n%s", m.inspector.matches, plainView(m))
	}
	if v := plainView(m); !strings.Contains(v, "“ITEM”: match 1 of 2") {
		t.Fatalf("no match line:\n%s", v)
	}
	first := m.inspector.vp.YOffset()
	press(t, m, "n")
	if m.inspector.at != 1 || m.inspector.vp.YOffset() < first {
		t.Fatalf("n: match %d, offset %d", m.inspector.at, m.inspector.vp.YOffset())
	}
	press(t, m, "N")
	if m.inspector.at != 0 {
		t.Fatalf("N: match %d", m.inspector.at)
	}
	press(t, m, "end")
	if !m.inspector.vp.AtBottom() {
		t.Fatal("end did not reach the bottom")
	}
	press(t, m, "home")
	if m.inspector.vp.YOffset() != 0 {
		t.Fatal("home did not reach the top")
	}
	press(t, m, "esc")
	if m.inspector.query != "" || m.page != pageInspector {
		t.Fatalf("esc did not clear the search first (page %d)", m.page)
	}
	press(t, m, "/")
	typeText(t, m, "nothing-like-this")
	press(t, m, "enter")
	if v := plainView(m); !strings.Contains(v, "no match for “nothing-like-this”") {
		t.Fatalf("a search without match does not say so:\n%s", v)
	}
}

// TestScrollNote: a tab longer than the view says how much is below.
func TestScrollNote(t *testing.T) {
	lab := newKeyLab(t)
	m := lab.model(focusState{w: 100, h: 14, setup: []string{"4", "enter"}})
	if v := plainView(m); !strings.Contains(v, "more below") {
		t.Fatalf("no scroll note:\n%s", v)
	}
	press(t, m, "G")
	if v := plainView(m); !strings.Contains(v, "· end") {
		t.Fatalf("no end note:\n%s", v)
	}
}

// TestJSONColours: keys, strings, numbers and literals get their styles;
// with NO_COLOR the text is unchanged.
func TestJSONColours(t *testing.T) {
	st := newStyles(true, false)
	line := `  "id": 1, "item": "widget", "ok": true, "next": null`
	got := colorJSON(&st, line)
	for _, want := range []string{st.jsonKey.Render(`"id"`), st.jsonNumber.Render("1"), st.jsonString.Render(`"widget"`),
		st.jsonLiteral.Render("true"), st.jsonLiteral.Render("null")} {
		if !strings.Contains(got, want) {
			t.Errorf("%q lacks %q", got, want)
		}
	}
	if ansi.Strip(got) != line {
		t.Errorf("colouring changed the text: %q", ansi.Strip(got))
	}
	plain := newStyles(true, true)
	if got := colorJSON(&plain, line); got != line {
		t.Errorf("NO_COLOR output differs: %q", got)
	}
	// A string holding a quote and a colon is one string, not a key.
	tricky := `  "a\":b": "c"`
	if got := colorJSON(&st, tricky); !strings.Contains(got, st.jsonKey.Render(`"a\":b"`)) {
		t.Errorf("escaped quote: %q", got)
	}
}
