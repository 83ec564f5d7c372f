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
	if u := r.Unjudged; r.OK && u != nil {
		// A handshake the server did not judge is no success (probe exits 3).
		for _, l := range wrapLines("? NOT JUDGED · "+safetext.Line(u.Summary), w) {
			b.WriteString(st.warn.Render(l) + "\n")
		}
		b.WriteString("\n" + st.title.Render("What to do") + "\n")
		writeBullets(&b, u.Hints, w)
	} else if r.OK {
		line := "✓ OK"
		if r.HTTP != nil {
			line += fmt.Sprintf(" · HTTP %d", r.HTTP.Status)
		} else if r.Application != nil {
			line += " · " + safetext.Line(r.Application.Protocol) + " accepted"
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
		if rt := r.Retry; rt != nil {
			outcome := "the handshake completed: the server accepts the certificate"
			if !rt.OK {
				outcome = "refused (" + string(rt.Category) + "): " + rt.Summary
			}
			b.WriteString("\n" + st.dim.Render(cut("retried with "+safetext.Line(rt.MaxVersion)+":", w)) + "\n")
			writeBullets(&b, []string{outcome}, w)
		}
		if tls12Helps(r) {
			b.WriteString("\n" + st.dim.Render(cut("ctrl+t sends again with TLS 1.2 at most", w)) + "\n")
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
func renderTiming(st *styles, r *tlsengine.Report, w int) string {
	phases := r.TimingRows()
	sum := 0.0
	for _, p := range phases {
		sum += p.Ms
	}
	total := max(r.Timing.TotalMs, sum)
	barW := max(w-28, 10)
	var b strings.Builder
	b.WriteString(st.title.Render("Timing") + st.dim.Render(fmt.Sprintf("  total %.1f ms", total)) + "\n\n")
	off := 0.0
	for i, p := range phases {
		if !p.Ran {
			b.WriteString(fmt.Sprintf("%-14s %8s    ", p.Name, "—") + st.dim.Render("did not run") + "\n")
			continue
		}
		start, n := 0, 0
		if total > 0 {
			start = int(off / total * float64(barW))
			n = int(p.Ms / total * float64(barW))
		}
		if p.Ms > 0 && n == 0 {
			n = 1
		}
		start = min(start, barW-n)
		bar := strings.Repeat(" ", max(start, 0)) + st.bar[i%len(st.bar)].Render(strings.Repeat("█", n))
		b.WriteString(fmt.Sprintf("%-14s %8.1f ms ", p.Name, p.Ms) + bar + "\n")
		off += p.Ms
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
		if names := l.Names(); len(names) > 0 {
			b.WriteString(cut(pad+st.dim.Render("names  ")+strings.Join(safetext.Lines(names), ", "), w) + "\n")
		}
		if l.SHA256 != "" {
			b.WriteString(cut(pad+st.dim.Render("sha256 ")+safetext.Line(l.SHA256), w) + "\n")
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func renderResponse(st *styles, r *tlsengine.Report, live bool, w int) string {
	h := r.HTTP
	if h == nil && r.Application != nil {
		return renderApplication(st, r.Application, w)
	}
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
	b.WriteString(renderBody(st, h, live, w))
	return b.String()
}

// renderBody pretty-prints JSON, wraps text and dumps binary as hex. Every
// form is sanitized: the body is the server's.
func renderBody(st *styles, h *tlsengine.HTTPInfo, live bool, w int) string {
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
			var lines []string
			for _, l := range strings.Split(out.String(), "\n") {
				lines = append(lines, wrapLines(colorJSON(st, safetext.Line(l)), w)...)
			}
			return strings.Join(lines, "\n")
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

// colorJSON colours one line of indented JSON (already sanitized): keys,
// strings, numbers and literals each in their style.
func colorJSON(st *styles, line string) string {
	if st.plain {
		return line
	}
	var b strings.Builder
	for i := 0; i < len(line); {
		c := line[i]
		switch {
		case c == '"':
			j := i + 1
			for j < len(line) && line[j] != '"' {
				if line[j] == '\\' {
					j++
				}
				j++
			}
			j = min(j+1, len(line))
			style := st.jsonString
			if k := strings.TrimLeft(line[j:], " "); strings.HasPrefix(k, ":") {
				style = st.jsonKey
			}
			b.WriteString(style.Render(line[i:j]))
			i = j
		case c == '-' || (c >= '0' && c <= '9'):
			j := i
			for j < len(line) && strings.IndexByte("+-.eE0123456789", line[j]) >= 0 {
				j++
			}
			b.WriteString(st.jsonNumber.Render(line[i:j]))
			i = j
		case strings.HasPrefix(line[i:], "true"), strings.HasPrefix(line[i:], "null"):
			b.WriteString(st.jsonLiteral.Render(line[i : i+4]))
			i += 4
		case strings.HasPrefix(line[i:], "false"):
			b.WriteString(st.jsonLiteral.Render(line[i : i+5]))
			i += 5
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

// tls12Helps says whether sending again with TLS 1.2 at most can tell
// more: the attempt failed after a TLS 1.3 handshake, where a server asks
// for a per-directory certificate after the handshake (which TLS 1.2 does
// by renegotiation) or judges it after the client's last flight (which TLS
// 1.2 does inside the handshake, with an alert).
func tls12Helps(r *tlsengine.Report) bool {
	if r.Failure == nil || r.TLS.Version != "TLS 1.3" {
		return false
	}
	switch r.Failure.Category {
	case tlsengine.ConnectionReset, tlsengine.ClientCertRejected:
		return true
	case tlsengine.ClientCertRequired:
		return !r.TLS.ClientCertRequested // asked for after the handshake
	}
	return false
}
