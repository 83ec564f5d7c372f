package tui

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/safetext"
	"github.com/mtlswb/mtlswb/workspace"
)

type (
	openInspectorMsg struct {
		report tlsengine.Report
		spec   workspace.RequestSpec
	}
	compareMsg  struct{ a, b attempt }
	loadSpecMsg struct{ spec workspace.RequestSpec }
	resendMsg   struct{ spec workspace.RequestSpec }
)

// attempt is one decoded history entry.
type attempt struct {
	entry  workspace.HistoryEntry
	spec   workspace.RequestSpec
	report tlsengine.Report
}

type inspTab int

const (
	tabVerdict inspTab = iota
	tabTiming
	tabHandshake
	tabChain
	tabResponse
	tabCount
)

var tabNames = []string{"Verdict", "Timing", "Handshake", "Server chain", "Response"}

// maxHexBytes bounds the hex view of a binary body; the rest is counted.
const maxHexBytes = 64 << 10

type inspectorKeys struct {
	NextTab, PrevTab, Up, Down, PageUp, PageDown, Resend, Edit, Back key.Binding
}

func newInspectorKeys() inspectorKeys {
	return inspectorKeys{
		NextTab:  key.NewBinding(key.WithKeys("tab", "right", "l"), key.WithHelp("tab/→", "next tab")),
		PrevTab:  key.NewBinding(key.WithKeys("shift+tab", "left", "h"), key.WithHelp("shift+tab/←", "previous tab")),
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "scroll up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "scroll down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "space"), key.WithHelp("pgdn", "page down")),
		Resend:   key.NewBinding(key.WithKeys("ctrl+s"), key.WithHelp("ctrl+s", "send again")),
		Edit:     key.NewBinding(key.WithKeys("E"), key.WithHelp("E", "edit in composer")),
		Back:     key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
	}
}

func (k inspectorKeys) ShortHelp() []key.Binding {
	return []key.Binding{k.NextTab, k.Down, k.Resend, k.Edit, k.Back}
}

func (k inspectorKeys) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.NextTab, k.PrevTab, k.Up, k.Down, k.PageUp, k.PageDown}, {k.Resend, k.Edit, k.Back}}
}

// inspectorScreen shows one attempt in tabs, or two attempts side by side.
type inspectorScreen struct {
	sh     *shared
	keys   inspectorKeys
	report *tlsengine.Report
	spec   workspace.RequestSpec
	live   bool // the body is in memory (not a history entry)
	tab    inspTab
	cmp    *[2]attempt
	vp     viewport.Model
	w, h   int
}

func newInspectorScreen(sh *shared) *inspectorScreen {
	return &inspectorScreen{sh: sh, keys: newInspectorKeys(), vp: viewport.New()}
}

func (s *inspectorScreen) help() help.KeyMap  { return s.keys }
func (s *inspectorScreen) typing() bool       { return false }
func (s *inspectorScreen) hasReport() bool    { return s.report != nil || s.cmp != nil }
func (s *inspectorScreen) capturesBack() bool { return false }
func (s *inspectorScreen) restyle()           { s.render() }

func (s *inspectorScreen) setSize(w, h int) {
	s.w, s.h = w, h
	s.vp.SetWidth(w)
	s.vp.SetHeight(max(h-2, 1))
	s.render()
}

// setReport shows a report; a failure opens on the verdict, a success on
// the response.
func (s *inspectorScreen) setReport(r tlsengine.Report, spec workspace.RequestSpec, live bool) {
	s.report, s.spec, s.live, s.cmp = &r, spec, live, nil
	s.tab = tabVerdict
	if r.OK && r.HTTP != nil {
		s.tab = tabResponse
	}
	s.render()
	s.vp.GotoTop()
}

func (s *inspectorScreen) setCompare(a, b attempt) {
	s.cmp = &[2]attempt{a, b}
	s.render()
	s.vp.GotoTop()
}

func (s *inspectorScreen) update(msg tea.Msg) tea.Cmd {
	km, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	k := s.keys
	switch {
	case key.Matches(km, k.NextTab) && s.cmp == nil:
		s.tab = (s.tab + 1) % tabCount
		s.render()
		s.vp.GotoTop()
	case key.Matches(km, k.PrevTab) && s.cmp == nil:
		s.tab = (s.tab + tabCount - 1) % tabCount
		s.render()
		s.vp.GotoTop()
	case key.Matches(km, k.Up):
		s.vp.ScrollUp(1)
	case key.Matches(km, k.Down):
		s.vp.ScrollDown(1)
	case key.Matches(km, k.PageUp):
		s.vp.PageUp()
	case key.Matches(km, k.PageDown):
		s.vp.PageDown()
	case key.Matches(km, k.Resend) && s.report != nil && s.cmp == nil:
		spec := s.spec
		return func() tea.Msg { return resendMsg{spec: spec} }
	case key.Matches(km, k.Edit) && s.report != nil && s.cmp == nil:
		spec := s.spec
		return func() tea.Msg { return loadSpecMsg{spec: spec} }
	}
	return nil
}

func (s *inspectorScreen) render() {
	if s.w <= 0 {
		return
	}
	switch {
	case s.cmp != nil:
		s.vp.SetContent(renderCompare(&s.sh.styles, s.cmp[0], s.cmp[1], s.w))
	case s.report != nil:
		s.vp.SetContent(s.renderTab())
	}
}

func (s *inspectorScreen) view() string {
	st := &s.sh.styles
	if s.cmp != nil {
		return st.title.Render("Compare two attempts") + "\n\n" + s.vp.View()
	}
	if s.report == nil {
		return st.dim.Render("no result yet: compose a request (3) and send it with ctrl+s")
	}
	var tabs []string
	for i, n := range tabNames {
		if inspTab(i) == s.tab {
			tabs = append(tabs, st.tabActive.Render("["+n+"]"))
		} else {
			tabs = append(tabs, st.tab.Render(" "+n+" "))
		}
	}
	head := strings.Join(tabs, "")
	target := safetext.Line(s.report.Request.URL)
	if s.report.Request.Method != "" && !s.report.Request.Probe {
		target = safetext.Line(s.report.Request.Method) + " " + target
	}
	if s.report.Request.Probe {
		target = "probe " + target
	}
	return cut(head, s.w) + "\n" + st.dim.Render(cut(target, s.w)) + "\n" + s.vp.View()
}

func (s *inspectorScreen) renderTab() string {
	r := s.report
	st := &s.sh.styles
	w := s.w
	switch s.tab {
	case tabVerdict:
		return renderVerdict(st, r, w)
	case tabTiming:
		return renderTiming(st, r.Timing, w)
	case tabHandshake:
		return renderHandshake(st, r, w)
	case tabChain:
		return renderChain(st, r.TLS.ServerChain, r.TLS.Verification, w)
	case tabResponse:
		return renderResponse(st, r, s.live, w)
	}
	return ""
}

func renderVerdict(st *styles, r *tlsengine.Report, w int) string {
	var b strings.Builder
	if r.OK {
		line := "✓ OK"
		if r.HTTP != nil {
			line += fmt.Sprintf(" · HTTP %d", r.HTTP.Status)
		} else if r.Request.Probe {
			line += " · handshake completed"
		}
		b.WriteString(st.ok.Render(line) + "\n")
	} else if f := r.Failure; f != nil {
		b.WriteString(st.bad.Render(cut("✗ "+string(f.Category), w)) + st.dim.Render(cut("  (phase "+string(f.Phase)+")", max(w-lipgloss.Width(string(f.Category))-2, 0))) + "\n\n")
		for _, l := range wrapLines(safetext.Line(f.Summary), w) {
			b.WriteString(st.label.Render(l) + "\n")
		}
		if f.Detail != "" {
			b.WriteString("\n")
			for _, l := range wrapLines(safetext.Block(f.Detail), w) {
				b.WriteString(l + "\n")
			}
		}
		if f.Alert != 0 {
			b.WriteString(st.dim.Render(fmt.Sprintf("TLS alert %d received", f.Alert)) + "\n")
		}
		if len(f.Hints) > 0 {
			b.WriteString("\n" + st.title.Render("What to do") + "\n")
			writeBullets(&b, f.Hints, w)
		}
		if len(f.Causes) > 1 {
			others := make([]string, 0, len(f.Causes)-1)
			for _, c := range f.Causes[1:] {
				others = append(others, fmt.Sprintf("%s (%s): %s", c.Category, c.Confidence, c.Evidence))
			}
			b.WriteString("\n" + st.title.Render("Other possible causes") + "\n")
			writeBullets(&b, others, w)
		}
	}
	if r.Request.Insecure {
		b.WriteString("\n" + st.loud.Render(cut(" ! INSECURE: server certificate verification was off for this attempt ", w)) + "\n")
	}
	if len(r.Warnings) > 0 {
		b.WriteString("\n" + st.title.Render("Warnings") + "\n")
		for _, wn := range r.Warnings {
			for _, l := range wrapLines("! "+safetext.Line(wn), w) {
				b.WriteString(st.warn.Render(l) + "\n")
			}
		}
	}
	b.WriteString("\n")
	id := "none"
	if r.Request.Identity != "" {
		id = safetext.Line(r.Request.Identity)
	}
	b.WriteString(cut("identity "+id+" · "+fmt.Sprintf("total %.1f ms", r.Timing.TotalMs), w))
	return b.String()
}

// writeBullets writes items as a bulleted list wrapped to w columns.
func writeBullets(b *strings.Builder, items []string, w int) {
	for _, item := range items {
		for i, l := range wrapLines(safetext.Line(item), w-2) {
			if i == 0 {
				b.WriteString("• " + l + "\n")
			} else {
				b.WriteString("  " + l + "\n")
			}
		}
	}
}

// renderTiming draws a waterfall like httpstat: each phase starts where the
// previous one ended.
func renderTiming(st *styles, t tlsengine.Timing, w int) string {
	phases := []struct {
		name string
		ms   float64
	}{{"DNS lookup", t.DNSMs}, {"TCP connect", t.ConnectMs}, {"TLS handshake", t.TLSMs}, {"Request sent", t.RequestSentMs}, {"Server wait", t.TTFBMs}}
	sum := 0.0
	for _, p := range phases {
		sum += p.ms
	}
	total := t.TotalMs
	if total < sum {
		total = sum
	}
	phases = append(phases, struct {
		name string
		ms   float64
	}{"Transfer", total - sum})
	barW := max(w-28, 10)
	var b strings.Builder
	b.WriteString(st.title.Render("Timing") + st.dim.Render(fmt.Sprintf("  total %.1f ms", total)) + "\n\n")
	off := 0.0
	for i, p := range phases {
		start, n := 0, 0
		if total > 0 {
			start = int(off / total * float64(barW))
			n = int(p.ms / total * float64(barW))
		}
		if p.ms > 0 && n == 0 {
			n = 1
		}
		start = min(start, barW-n)
		bar := strings.Repeat(" ", max(start, 0)) + st.bar[i%len(st.bar)].Render(strings.Repeat("█", n))
		b.WriteString(fmt.Sprintf("%-14s %8.1f ms ", p.name, p.ms) + bar + "\n")
		off += p.ms
	}
	return b.String()
}

func renderHandshake(st *styles, r *tlsengine.Report, w int) string {
	t := r.TLS
	k := &kv{st: st, labelW: 16, width: w}
	k.line("Version", orDash(t.Version))
	k.line("Cipher suite", orDash(t.CipherSuite))
	k.line("ALPN", orDash(t.ALPN))
	k.line("SNI", orDash(t.ServerName))
	k.line("Resumed", yesNo(t.Resumed))
	k.line("OCSP stapled", yesNo(t.OCSPStapled))
	k.line("Client cert", map[bool]string{true: "requested by the server", false: "not requested"}[t.ClientCertRequested])
	k.raw("")
	sent := "none"
	if c := t.ClientCertSent; c != nil {
		sent = safetext.Line(c.Subject) + "\nissuer " + safetext.Line(c.Issuer)
	}
	cas := "none listed"
	if len(t.AcceptableCAs) > 0 {
		cas = strings.Join(safetext.Lines(t.AcceptableCAs), "\n")
	}
	if w >= 90 {
		colW := (w - 3) / 2
		left := st.title.Render("Certificate sent") + "\n" + strings.Join(wrapLines(sent, colW), "\n")
		if t.ClientCertNote != "" {
			left += "\n" + st.warn.Render(strings.Join(wrapLines("! "+safetext.Line(t.ClientCertNote), colW), "\n"))
		}
		right := st.title.Render("Server accepts CAs") + "\n" + strings.Join(wrapLines(cas, colW), "\n")
		k.raw(lipgloss.JoinHorizontal(lipgloss.Top, padLines(left, colW), " │ ", right))
	} else {
		k.raw(st.title.Render("Certificate sent"))
		k.raw(strings.Join(wrapLines(sent, w), "\n"))
		if t.ClientCertNote != "" {
			k.raw(st.warn.Render(strings.Join(wrapLines("! "+safetext.Line(t.ClientCertNote), w), "\n")))
		}
		k.raw(st.title.Render("Server accepts CAs"))
		k.raw(strings.Join(wrapLines(cas, w), "\n"))
	}
	if len(t.SignatureSchemes) > 0 {
		k.raw("")
		k.line("Sig schemes", strings.Join(safetext.Lines(t.SignatureSchemes), ", "))
	}
	if len(r.Identities) > 0 {
		k.raw("")
		k.raw(st.title.Render("Your identities against this server"))
		for _, iv := range r.Identities {
			mark, ms := "✓", st.ok
			reason := "would be accepted"
			if !iv.Accepted {
				mark, ms = "✗", st.bad
				reason = safetext.Line(iv.Reason)
			}
			for i, l := range wrapLines(safetext.Line(iv.Name)+": "+reason, w-2) {
				if i == 0 {
					k.raw(ms.Render(mark) + " " + l)
				} else {
					k.raw("  " + l)
				}
			}
		}
	}
	return strings.TrimSuffix(k.b.String(), "\n")
}

func renderChain(st *styles, chain []tlsengine.ChainLink, v tlsengine.Verification, w int) string {
	var b strings.Builder
	if v.OK {
		b.WriteString(st.ok.Render("✓ the chain verifies") + "\n\n")
	} else if v.Error != "" {
		for _, l := range wrapLines("✗ "+safetext.Line(v.Error), w) {
			b.WriteString(st.bad.Render(l) + "\n")
		}
		b.WriteString("\n")
	}
	if len(chain) == 0 {
		b.WriteString(st.dim.Render("the server sent no certificate (the handshake did not get that far)"))
		return b.String()
	}
	for i, l := range chain {
		indent := strings.Repeat("   ", max(i-1, 0))
		branch := ""
		if i > 0 {
			branch = "└─ "
		}
		pad := strings.Repeat(" ", lipgloss.Width(indent+branch))
		src := ""
		if l.Source == "trust" {
			src = st.dim.Render(" (from your trust anchors)")
		}
		b.WriteString(cut(indent+branch+st.label.Render(safetext.Line(l.Subject))+src, w) + "\n")
		mark, ms := "✓ ok", st.ok
		if l.Verdict != "ok" && l.Verdict != "" {
			mark, ms = "✗ "+safetext.Line(l.Verdict), st.bad
		}
		b.WriteString(cut(pad+ms.Render(mark), w) + "\n")
		for _, p := range l.Problems {
			if p != l.Verdict {
				b.WriteString(cut(pad+st.bad.Render("✗ "+safetext.Line(p)), w) + "\n")
			}
		}
		b.WriteString(cut(pad+st.dim.Render("issuer ")+safetext.Line(l.Issuer), w) + "\n")
		b.WriteString(cut(pad+st.dim.Render("valid  ")+l.NotBefore.UTC().Format("2006-01-02")+" → "+l.NotAfter.UTC().Format("2006-01-02"), w) + "\n")
		if len(l.DNSNames) > 0 {
			b.WriteString(cut(pad+st.dim.Render("names  ")+strings.Join(safetext.Lines(l.DNSNames), ", "), w) + "\n")
		}
		if l.SHA256 != "" {
			b.WriteString(cut(pad+st.dim.Render("sha256 ")+safetext.Line(l.SHA256), w) + "\n")
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func renderResponse(st *styles, r *tlsengine.Report, live bool, w int) string {
	h := r.HTTP
	if h == nil {
		if r.Request.Probe {
			return st.dim.Render("a probe stops after the handshake: there is no HTTP response")
		}
		return st.dim.Render("no HTTP response: the attempt failed before one arrived (see Verdict)")
	}
	var b strings.Builder
	status := fmt.Sprintf("%d %s", h.Status, safetext.Line(h.Proto))
	ss := st.ok
	if h.Status >= 400 {
		ss = st.bad
	} else if h.Status >= 300 {
		ss = st.warn
	}
	b.WriteString(ss.Render(status) + st.dim.Render(fmt.Sprintf("  %d bytes", h.BodyBytes)) + "\n")
	if h.Location != "" {
		b.WriteString(cut("→ "+safetext.Line(h.Location), w) + "\n")
	}
	names := make([]string, 0, len(h.Headers))
	for n := range h.Headers {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		for _, v := range h.Headers[n] {
			for i, l := range wrapLines(safetext.Line(n)+": "+safetext.Line(v), w) {
				if i == 0 {
					b.WriteString(st.label.Render(l) + "\n")
				} else {
					b.WriteString("  " + l + "\n")
				}
			}
		}
	}
	b.WriteString("\n")
	b.WriteString(renderBody(h, live, w))
	return b.String()
}

// renderBody pretty-prints JSON, wraps text and dumps binary as hex. Every
// form is sanitized: the body is the server's.
func renderBody(h *tlsengine.HTTPInfo, live bool, w int) string {
	body := h.Body
	if !live || body == nil {
		if h.BodyBinary {
			return safetext.Block(h.BodyPreview)
		}
		body = []byte(h.BodyPreview)
	}
	if len(body) == 0 {
		return "(empty body)"
	}
	if json.Valid(body) {
		var out bytes.Buffer
		if json.Indent(&out, body, "", "  ") == nil {
			return strings.Join(wrapLines(safetext.Block(out.String()), w), "\n")
		}
	}
	if !h.BodyBinary && utf8.Valid(body) && !looksBinary(body) {
		return strings.Join(wrapLines(safetext.Block(string(body)), w), "\n")
	}
	shown := body
	if len(shown) > maxHexBytes {
		shown = shown[:maxHexBytes]
	}
	dump := hex.Dump(shown)
	if len(body) > len(shown) {
		dump += fmt.Sprintf("… %d more bytes\n", len(body)-len(shown))
	}
	return safetext.Block(dump)
}

// looksBinary says whether b has control bytes that text does not.
func looksBinary(b []byte) bool {
	n := min(len(b), 4096)
	ctl := 0
	for _, c := range b[:n] {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' {
			ctl++
		}
	}
	return ctl > n/100
}

func renderCompare(st *styles, a, b attempt, w int) string {
	colW := max((w-16)/2, 10)
	rows := []struct {
		label string
		a, b  string
	}{
		{"When", a.entry.At.UTC().Format("2006-01-02 15:04:05"), b.entry.At.UTC().Format("2006-01-02 15:04:05")},
		{"Request", reqLine(a), reqLine(b)},
		{"Identity", orDash(a.spec.Identity), orDash(b.spec.Identity)},
		{"Result", resultLine(a.report), resultLine(b.report)},
		{"Status", statusLine(a.report), statusLine(b.report)},
		{"Category", categoryLine(a.report), categoryLine(b.report)},
		{"TLS", orDash(a.report.TLS.Version), orDash(b.report.TLS.Version)},
		{"Cert sent", certSent(a.report), certSent(b.report)},
		{"Server chain", chainLine(a.report), chainLine(b.report)},
		{"Chain verdict", verifLine(a.report), verifLine(b.report)},
		{"TLS handshake", fmt.Sprintf("%.1f ms", a.report.Timing.TLSMs), fmt.Sprintf("%.1f ms", b.report.Timing.TLSMs)},
		{"Total", fmt.Sprintf("%.1f ms", a.report.Timing.TotalMs), fmt.Sprintf("%.1f ms", b.report.Timing.TotalMs)},
	}
	var out strings.Builder
	out.WriteString(fit("", 14) + "  " + st.label.Render(fit(fmt.Sprintf("#%d (marked)", a.entry.ID), colW)) + "  " + st.label.Render(fit(fmt.Sprintf("#%d", b.entry.ID), colW)) + "\n")
	for _, r := range rows {
		av, bv := safetext.Line(r.a), safetext.Line(r.b)
		al, bl := wrapLines(av, colW), wrapLines(bv, colW)
		diff := av != bv
		for i := 0; i < max(len(al), len(bl)); i++ {
			lab := fit("", 14)
			mark := "  "
			if i == 0 {
				lab = fit(r.label, 14)
				if diff {
					mark = st.warn.Render("≠ ")
				}
			}
			var x, y string
			if i < len(al) {
				x = al[i]
			}
			if i < len(bl) {
				y = bl[i]
			}
			if diff {
				out.WriteString(mark + st.label.Render(lab) + st.warn.Render(fit(x, colW)) + "  " + st.warn.Render(y) + "\n")
			} else {
				out.WriteString(mark + st.label.Render(lab) + fit(x, colW) + "  " + y + "\n")
			}
		}
	}
	return strings.TrimSuffix(out.String(), "\n")
}

func reqLine(a attempt) string {
	m := a.spec.Method
	if a.spec.Probe {
		m = "PROBE"
	}
	if m == "" {
		m = a.entry.Method
	}
	return m + " " + a.spec.URL
}

func resultLine(r tlsengine.Report) string {
	if r.OK {
		return "ok"
	}
	return "failed"
}

func statusLine(r tlsengine.Report) string {
	if r.HTTP == nil {
		return "-"
	}
	return fmt.Sprint(r.HTTP.Status)
}

func categoryLine(r tlsengine.Report) string {
	if r.Failure == nil {
		return "-"
	}
	return string(r.Failure.Category)
}

func certSent(r tlsengine.Report) string {
	if r.TLS.ClientCertSent == nil {
		return "none"
	}
	return r.TLS.ClientCertSent.Subject
}

func chainLine(r tlsengine.Report) string {
	if len(r.TLS.ServerChain) == 0 {
		return "-"
	}
	var parts []string
	for _, l := range r.TLS.ServerChain {
		v := l.Subject
		if l.Verdict != "ok" && l.Verdict != "" {
			v += " ✗"
		}
		parts = append(parts, v)
	}
	return strings.Join(parts, " ← ")
}

func verifLine(r tlsengine.Report) string {
	if r.TLS.Verification.OK {
		return "ok"
	}
	return orDash(r.TLS.Verification.Error)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return safetext.Line(s)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// padLines pads every line of a block to w cells so blocks join cleanly.
func padLines(s string, w int) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if lw := lipgloss.Width(l); lw < w {
			lines[i] = l + strings.Repeat(" ", w-lw)
		}
	}
	return strings.Join(lines, "\n")
}
