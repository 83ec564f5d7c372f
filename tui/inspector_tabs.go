package tui

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"charm.land/lipgloss/v2"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// maxHexBytes bounds the hex view of a binary body; the rest is counted.
const maxHexBytes = 64 << 10

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
	for _, n := range slices.Sorted(maps.Keys(h.Headers)) {
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
