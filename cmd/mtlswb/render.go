package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/revocation"
	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// painter adds ANSI colour only when the output is a terminal without
// NO_COLOR; the text itself is the same either way.
type painter bool

func (p painter) paint(code, s string) string {
	if !p || s == "" {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}
func (p painter) bold(s string) string  { return p.paint("1", s) }
func (p painter) red(s string) string   { return p.paint("31;1", s) }
func (p painter) green(s string) string { return p.paint("32;1", s) }
func (p painter) yellow(s string) string {
	return p.paint("33", s)
}
func (p painter) dim(s string) string { return p.paint("2", s) }

// renderReport prints a report in sections: Verdict, Timing, Handshake,
// Server chain, Client certificate, Response. The report holds what the
// server and its certificates sent exactly (its JSON must not lose it), so
// every string passes through safetext here, the sentences the engine
// already sanitized included: this function must not be the hole when a
// field is added (TestRenderSanitizesEveryField).
func renderReport(w io.Writer, r tlsengine.Report, colour bool) {
	p := painter(colour)
	line := func(format string, a ...any) {
		fmt.Fprintln(w, safetext.Block(fmt.Sprintf(format, a...)))
	}
	section := func(title string) { fmt.Fprintf(w, "\n%s\n", p.bold(title)) }

	fmt.Fprint(w, p.bold("Verdict"), "\n")
	if u := r.Unjudged; r.OK && u != nil {
		// A probe that cannot know must not read as success (exit 3).
		fmt.Fprintf(w, "  %s  %s\n", p.yellow("NOT JUDGED"), safetext.Line(u.Summary))
		for _, h := range u.Hints {
			fmt.Fprintf(w, "  %s %s\n", p.yellow("→"), safetext.Line(h))
		}
	} else if r.OK {
		what := "handshake ok"
		if r.HTTP != nil {
			what = fmt.Sprintf("%s %d", r.HTTP.Proto, r.HTTP.Status)
		} else if a := r.Application; a != nil {
			what = a.Protocol + ": " + a.Message
		}
		fmt.Fprintf(w, "  %s  %s\n", p.green("OK"), safetext.Line(what))
	} else if f := r.Failure; f != nil {
		fmt.Fprintf(w, "  %s  %s (%s phase)\n", p.red("FAILED"), p.red(string(f.Category)), f.Phase)
		line("  %s", f.Summary)
		if f.Detail != "" {
			for _, l := range strings.Split(safetext.Block(f.Detail), "\n") {
				fmt.Fprintf(w, "  %s\n", l)
			}
		}
		for _, h := range f.Hints {
			fmt.Fprintf(w, "  %s %s\n", p.yellow("→"), safetext.Line(h))
		}
		if len(f.Causes) > 1 {
			fmt.Fprintln(w, "  Other possible causes:")
			for _, c := range f.Causes[1:] {
				fmt.Fprintf(w, "    %s (%s): %s\n", safetext.Line(string(c.Category)), safetext.Line(string(c.Confidence)), safetext.Line(c.Evidence))
			}
		}
	}
	if rt := r.Retry; rt != nil {
		outcome := "the handshake completed: the server accepts the certificate under " + rt.MaxVersion
		if !rt.OK {
			outcome = "refused (" + string(rt.Category) + "): " + rt.Summary
		}
		fmt.Fprintf(w, "  %s %s\n", p.dim("retried with "+safetext.Line(rt.MaxVersion)+":"), safetext.Line(outcome))
	}
	for _, warn := range r.Warnings {
		fmt.Fprintf(w, "  %s %s\n", p.yellow("warning:"), safetext.Line(warn))
	}
	if r.Request.Route != "" {
		fmt.Fprintf(w, "  %s %s\n", p.dim("route:"), safetext.Line(r.Request.Route))
	}

	section("Timing")
	t := r.Timing
	for _, ph := range r.TimingRows() {
		if !ph.Ran {
			fmt.Fprintf(w, "  %-14s %8s     %s\n", ph.Name, "—", p.dim("did not run"))
			continue
		}
		fmt.Fprintf(w, "  %-14s %8.1f ms  %s\n", ph.Name, ph.Ms, p.dim(bar(ph.Ms, t.TotalMs, 30)))
	}
	fmt.Fprintf(w, "  %-14s %8.1f ms\n", "Total", t.TotalMs)

	tl := r.TLS
	if tl.Version != "" || tl.ClientCertRequested || len(tl.ServerChain) > 0 {
		section("Handshake")
		kv := func(k, v string) {
			if v != "" {
				fmt.Fprintf(w, "  %-22s %s\n", k, safetext.Line(v))
			}
		}
		kv("Version", tl.Version)
		kv("Cipher suite", tl.CipherSuite)
		kv("ALPN", tl.ALPN)
		kv("SNI", tl.ServerName)
		if tl.Resumed {
			kv("Session", "resumed")
		}
		if tl.OCSPStapled {
			kv("OCSP", "stapled response present")
		}
		if tl.ClientCertRequested {
			requested := "yes"
			if tl.ClientCertRequestedBy != "" {
				requested = "yes, by " + tl.ClientCertRequestedBy + " after the request"
			}
			kv("Client cert requested", requested)
			if len(tl.AcceptableCAs) == 0 {
				kv("Acceptable CAs", "(any: the server sent no list)")
			}
			for i, ca := range tl.AcceptableCAs {
				k := ""
				if i == 0 {
					k = "Acceptable CAs"
				}
				fmt.Fprintf(w, "  %-22s %s\n", k, safetext.Line(ca))
			}
			kv("Signature schemes", strings.Join(tl.SignatureSchemes, ", "))
		} else if tl.Version != "" {
			kv("Client cert requested", "no")
		}
		verdict := "ok"
		if !tl.Verification.OK {
			verdict = "FAILED: " + tl.Verification.Error
		}
		kv("Server verification", verdict)
	}

	if len(tl.ServerChain) > 0 {
		section("Server chain")
		for i, link := range tl.ServerChain {
			mark := p.green("✓")
			if link.Verdict != "ok" {
				mark = p.red("✗")
			}
			indent := strings.Repeat("   ", i)
			src := ""
			if link.Source == "trust" {
				src = p.dim(" (from your trust store)")
			}
			fmt.Fprintf(w, "  %s%s %s%s\n", indent, mark, safetext.Line(link.Subject), src)
			fmt.Fprintf(w, "  %s    issuer %s, valid %s → %s\n", indent, safetext.Line(link.Issuer),
				link.NotBefore.Format("2006-01-02"), link.NotAfter.Format("2006-01-02"))
			if names := link.Names(); len(names) > 0 {
				fmt.Fprintf(w, "  %s    names %s\n", indent, strings.Join(safetext.Lines(names), ", "))
			}
			if link.Verdict != "ok" {
				fmt.Fprintf(w, "  %s    %s\n", indent, p.red(safetext.Line(link.Verdict)))
			}
		}
	}

	section("Client certificate")
	switch {
	case tl.ClientCertSent != nil:
		cs := tl.ClientCertSent
		fmt.Fprintf(w, "  sent     %s\n", safetext.Line(cs.Subject))
		fmt.Fprintf(w, "  issuer   %s\n", safetext.Line(cs.Issuer))
		fmt.Fprintf(w, "  sha256   %s\n", safetext.Line(cs.SHA256))
	default:
		note := tl.ClientCertNote
		if note == "" {
			note = "none sent"
		}
		fmt.Fprintf(w, "  %s\n", safetext.Line(note))
	}
	if rv := tl.ClientCertRevocation; rv != nil {
		status := safetext.Line(rv.Summary())
		if rv.State == revocation.Revoked {
			status = p.red(status)
		}
		fmt.Fprintf(w, "  revocation %s\n", status)
	}
	for _, v := range r.Identities {
		mark := p.green("would be accepted")
		if !v.Accepted {
			mark = "not accepted: " + safetext.Line(v.Reason)
		}
		fmt.Fprintf(w, "  identity %-16s %s\n", safetext.Line(v.Name), mark)
	}

	if a := r.Application; a != nil {
		section("Response (" + safetext.Line(a.Protocol) + ")")
		renderApplication(w, p, a)
	}
	if h := r.HTTP; h != nil {
		section("Response")
		fmt.Fprintf(w, "  %s %d\n", safetext.Line(h.Proto), h.Status)
		names := make([]string, 0, len(h.Headers))
		for k := range h.Headers {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			for _, v := range h.Headers[k] {
				fmt.Fprintf(w, "  %s: %s\n", safetext.Line(k), safetext.Line(v))
			}
		}
		if h.Location != "" {
			fmt.Fprintf(w, "  redirect to %s (not followed; pass --follow)\n", safetext.Line(h.Location))
		}
		cut := ""
		if h.BodyTruncated {
			cut = " read, then cut (--max-response)"
		}
		fmt.Fprintf(w, "\n  %d bytes%s\n", h.BodyBytes, cut)
		if h.BodyPreview != "" {
			for _, l := range strings.Split(safetext.Block(h.BodyPreview), "\n") {
				fmt.Fprintf(w, "  %s\n", l)
			}
		}
	}
}

// bar draws a phase's share of the total, like httpstat.
func bar(ms, total float64, width int) string {
	if total <= 0 || ms <= 0 {
		return ""
	}
	n := int(ms / total * float64(width))
	if n < 1 {
		n = 1
	}
	return strings.Repeat("█", min(n, width))
}
