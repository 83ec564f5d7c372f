package tlsengine_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mtlswb/mtlswb/tlsengine"
)

func TestTimingRows(t *testing.T) {
	failed := func(p tlsengine.Phase) *tlsengine.Failure { return &tlsengine.Failure{Phase: p} }
	cases := map[string]struct {
		rep  tlsengine.Report
		want string // rows as name=ms, or name=— for a phase that did not run
	}{
		"https answered": {
			tlsengine.Report{Request: tlsengine.RequestInfo{URL: "https://a:1/"}, HTTP: &tlsengine.HTTPInfo{},
				Timing: tlsengine.Timing{DNSMs: 1, ConnectMs: 2, TLSMs: 3, RequestSentMs: 1, TTFBMs: 2, TotalMs: 10}},
			"DNS lookup=1 TCP connect=2 TLS handshake=3 Request sent=1 Server wait=2 Transfer=1",
		},
		"https refused in the handshake": {
			tlsengine.Report{Request: tlsengine.RequestInfo{URL: "https://127.0.0.1:1/"}, Failure: failed(tlsengine.PhaseHandshake),
				Timing: tlsengine.Timing{ConnectMs: 2, TLSMs: 3, TotalMs: 9}},
			"DNS lookup=— TCP connect=2 TLS handshake=3 Request sent=— Server wait=— Transfer=—",
		},
		"connection refused": {
			tlsengine.Report{Request: tlsengine.RequestInfo{URL: "https://127.0.0.1:1/"}, Failure: failed(tlsengine.PhaseConnect),
				Timing: tlsengine.Timing{TotalMs: 1}},
			"DNS lookup=— TCP connect=0 TLS handshake=— Request sent=— Server wait=— Transfer=—",
		},
		"probe": {
			tlsengine.Report{Request: tlsengine.RequestInfo{URL: "https://a:1/", Probe: true},
				Timing: tlsengine.Timing{ConnectMs: 2, TLSMs: 3, TotalMs: 6}},
			"DNS lookup=— TCP connect=2 TLS handshake=3 Request sent=— Server wait=— Transfer=—",
		},
		"smtp with STARTTLS": {
			tlsengine.Report{Request: tlsengine.RequestInfo{URL: "smtp://a:25"},
				Timing: tlsengine.Timing{ConnectMs: 2, PreambleMs: 1, TLSMs: 3, ExchangeMs: 4, TotalMs: 10}},
			"DNS lookup=— TCP connect=2 STARTTLS=1 TLS handshake=3 Exchange=4",
		},
		"smtp refused STARTTLS": {
			tlsengine.Report{Request: tlsengine.RequestInfo{URL: "smtp://a:25"}, Failure: failed(tlsengine.PhasePreamble),
				Timing: tlsengine.Timing{ConnectMs: 2, TotalMs: 3}},
			"DNS lookup=— TCP connect=2 STARTTLS=— TLS handshake=— Exchange=—",
		},
		"postgres refused after the handshake": {
			tlsengine.Report{Request: tlsengine.RequestInfo{URL: "postgres://a:5432/db"}, Failure: failed(tlsengine.PhaseResponse),
				Timing: tlsengine.Timing{ConnectMs: 2, PreambleMs: 1, TLSMs: 3, ExchangeMs: 2, TotalMs: 8}},
			"DNS lookup=— TCP connect=2 STARTTLS=1 TLS handshake=3 Exchange=2",
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var got []string
			for _, row := range c.rep.TimingRows() {
				v := fmt.Sprint(row.Ms)
				if !row.Ran {
					v = "—"
				}
				got = append(got, row.Name+"="+v)
			}
			if g := strings.Join(got, " "); g != c.want {
				t.Errorf("rows:\n got %s\nwant %s", g, c.want)
			}
		})
	}
}
