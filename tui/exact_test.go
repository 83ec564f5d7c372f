package tui

import (
	"crypto/x509"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/safetext"
	"github.com/mtlswb/mtlswb/tlsengine/tlstest"
)

// screenSafe fails when a rendered block, its styles stripped, holds
// anything a terminal would act on or display as other than it is.
func screenSafe(t *testing.T, what, out string) {
	t.Helper()
	for _, line := range strings.Split(ansi.Strip(out), "\n") {
		if !safetext.IsClean(strings.ReplaceAll(line, "\t", " ")) {
			t.Errorf("%s shows a control, bidi or non-UTF-8 character: %q", what, line)
		}
	}
}

// renderAllTabs renders every inspector tab of r, live and as history
// shows it, at a narrow and a wide width.
func renderAllTabs(t *testing.T, what string, r tlsengine.Report) string {
	t.Helper()
	st := newStyles(true, false)
	var all strings.Builder
	for _, w := range []int{60, 160} {
		for _, live := range []bool{true, false} {
			for tab, out := range []string{renderVerdict(&st, &r, w), renderTiming(&st, &r, w), renderHandshake(&st, &r, w),
				renderChain(&st, r.TLS.ServerChain, r.TLS.Verification, w), renderResponse(&st, &r, live, w)} {
				screenSafe(t, what+" tab "+string(rune('1'+tab)), out)
				all.WriteString(out)
			}
		}
	}
	return all.String()
}

// TestInspectorSanitizesEveryField: a report whose every string is hostile
// (so a field added later is covered too) shows as safe text in every tab
// and in Compare.
func TestInspectorSanitizesEveryField(t *testing.T) {
	const hostile = "x\x1b]52;c;ZXZpbA==\x07\x1b[2J\u009b6n\u202e\r\x00\xff\ny"
	var r tlsengine.Report
	tlstest.FillStrings(&r, hostile)
	if out := renderAllTabs(t, "failed", r); !strings.Contains(ansi.Strip(out), "x^[]52;c;ZXZpbA==^G") {
		t.Errorf("the hostile text is not shown escaped:\n%s", out)
	}
	r.OK, r.Unjudged = true, nil
	renderAllTabs(t, "ok", r)
	r.HTTP = nil
	renderAllTabs(t, "application", r)

	var a attempt
	tlstest.FillStrings(&a, hostile)
	st := newStyles(true, false)
	screenSafe(t, "compare", renderCompare(&st, a, a, 120))
}

// TestInspectorShowsHostileAnswer: what a hostile server sent is exact in
// the report and safe on screen, live and read back from history's JSON.
func TestInspectorShowsHostileAnswer(t *testing.T) {
	p := tlstest.NewPKI(t)
	for name, body := range map[string]string{"text": tlstest.HostileTextBody, "binary": tlstest.HostileBinaryBody} {
		t.Run(name, func(t *testing.T) {
			addr := tlstest.StartRawHTTPS(t, p.ServerCert(), tlstest.HostileAnswer(body))
			live := tlsengine.Run(t.Context(), tlsengine.Request{URL: "https://" + addr + "/", Roots: []*x509.Certificate{p.Root.Cert}, Timeout: 5 * time.Second})
			if live.HTTP == nil || string(live.HTTP.Body) != body {
				t.Fatalf("the answer is not kept exactly: %+v", live.HTTP)
			}
			var stored tlsengine.Report // as history reads it back
			if b, err := json.Marshal(live); err != nil || json.Unmarshal(b, &stored) != nil {
				t.Fatalf("the report does not go through JSON: %v", err)
			}
			for what, r := range map[string]tlsengine.Report{"live": live, "history": stored} {
				out := ansi.Strip(renderAllTabs(t, what, r))
				if !strings.Contains(out, `X-Raw: a\xff\x9b[2Jb`) || !strings.Contains(out, "X-C1: v\\u009b31m<U+202E>^Iend") {
					t.Errorf("%s: the hostile headers are not shown escaped:\n%s", what, out)
				}
			}
		})
	}
}

// TestChainShowsEverySAN: the Server chain tab's names line lists IP, URI
// and email SANs after the DNS names, sanitized.
func TestChainShowsEverySAN(t *testing.T) {
	l := tlsengine.ChainLink{Subject: "CN=api", Issuer: "CN=SAN Root", Verdict: "ok", DNSNames: []string{},
		IPAddresses: []string{"127.0.0.1"}, URIs: []string{"spiffe://example.org/ns/prod/sa/api"}, EmailAddresses: []string{"ops\x1b[2J@example.org"},
		NotBefore: fixedNow, NotAfter: fixedNow.AddDate(1, 0, 0)}
	st := newStyles(true, true)
	out := ansi.Strip(renderChain(&st, []tlsengine.ChainLink{l}, tlsengine.Verification{OK: true}, 120))
	if !strings.Contains(out, "names  127.0.0.1, spiffe://example.org/ns/prod/sa/api, ops^[[2J@example.org") {
		t.Errorf("the names line lacks a SAN:\n%s", out)
	}
	screenSafe(t, "chain", out)
}
