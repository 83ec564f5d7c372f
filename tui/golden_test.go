package tui

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/workspace"
)

var goldenSizes = []struct{ w, h int }{{80, 24}, {120, 40}, {200, 60}}

// addTestHistory stores two attempts with fixed times, as the composer would.
func addTestHistory(t *testing.T, s *workspace.Store) {
	t.Helper()
	for i, rep := range []tlsengine.Report{failureReport(), okReport()} {
		spec := workspace.RequestSpec{Method: "GET", URL: rep.Request.URL, Identity: rep.Request.Identity, CAs: []string{"dev-root"}}
		reqJSON, _ := json.Marshal(spec)
		repJSON, _ := json.Marshal(rep)
		h := workspace.HistoryEntry{At: fixedNow.Add(time.Duration(i*5-10) * time.Minute), Method: "GET", URL: rep.Request.URL,
			Identity: rep.Request.Identity, OK: rep.OK, Request: reqJSON, Report: repJSON}
		if rep.HTTP != nil {
			h.Status = rep.HTTP.Status
		}
		if rep.Failure != nil {
			h.Category = string(rep.Failure.Category)
		}
		if _, err := s.AddHistory(h); err != nil {
			t.Fatal(err)
		}
	}
	spec, _ := json.Marshal(workspace.RequestSpec{Method: "POST", URL: "https://api.example.org:8443/orders", Identity: "alice"})
	if err := s.SaveRequest(workspace.SavedRequest{Name: "create-order", Spec: spec, Saved: fixedNow}); err != nil {
		t.Fatal(err)
	}
}

// TestGoldenScreens renders every screen at 80x24, 120x40 and 200x60 against a real
// workspace and compares the ANSI-stripped frame with testdata.
func TestGoldenScreens(t *testing.T) {
	ws := newTestWorkspace(t, true)
	addTestHistory(t, ws.store)
	failing := func(context.Context, tlsengine.Request) tlsengine.Report { return failureReport() }
	succeeding := func(context.Context, tlsengine.Request) tlsengine.Report { return okReport() }

	cases := []struct {
		name   string
		path   string // empty: the test workspace
		engine func(context.Context, tlsengine.Request) tlsengine.Report
		keys   []string
		want   string // text the frame must show
	}{
		{name: "first-run", path: "missing", want: "Create a workspace"},
		{name: "identities", want: "alice"},
		{name: "identity-detail", keys: []string{"enter"}, want: "x5t#S256"},
		{name: "cas", keys: []string{"2"}, want: "team-ca"},
		{name: "composer", keys: []string{"3", "h", "t", "t", "p", "s", ":", "/", "/", "a", "p", "i", ".", "e", "x", "a", "m", "p", "l", "e", ".", "o", "r", "g", "esc"}, want: "Pre-flight"},
		{name: "verdict-failure", engine: failing, keys: []string{"3", "h", "t", "t", "p", "s", ":", "/", "/", "x", "ctrl+s"}, want: "client-cert-unknown-ca"},
		{name: "timing", engine: failing, keys: []string{"3", "h", "t", "t", "p", "s", ":", "/", "/", "x", "ctrl+s", "tab"}, want: "TLS handshake"},
		{name: "handshake", engine: failing, keys: []string{"3", "h", "t", "t", "p", "s", ":", "/", "/", "x", "ctrl+s", "tab", "tab"}, want: "Server accepts CAs"},
		{name: "chain", engine: failing, keys: []string{"3", "h", "t", "t", "p", "s", ":", "/", "/", "x", "ctrl+s", "tab", "tab", "tab"}, want: "unknown authority"},
		{name: "response", engine: succeeding, keys: []string{"3", "h", "t", "t", "p", "s", ":", "/", "/", "x", "ctrl+s"}, want: `"orders"`},
		{name: "history", keys: []string{"4"}, want: "client-cert-unknown-ca"},
		{name: "saved", keys: []string{"4", "tab"}, want: "create-order"},
		{name: "compare", keys: []string{"4", "m", "down", "="}, want: "Compare two attempts"},
		{name: "help", keys: []string{"?"}, want: "Keys"},
	}
	for _, tc := range cases {
		for _, size := range goldenSizes {
			t.Run(fmt.Sprintf("%s/%dx%d", tc.name, size.w, size.h), func(t *testing.T) {
				path := ws.copyOf(t)
				if tc.path != "" {
					path = filepath.Join("no-such-dir", "ws.db")
				}
				m := newTestModel(t, path, tc.engine)
				start(t, m, size.w, size.h)
				press(t, m, tc.keys...)
				got := ws.mask(plainView(m))
				if !strings.Contains(got, tc.want) {
					t.Fatalf("frame does not show %q:\n%s", tc.want, got)
				}
				if n := strings.Count(got, "\n") + 1; n != size.h {
					t.Fatalf("frame has %d lines, want %d:\n%s", n, size.h, got)
				}
				golden.RequireEqual(t, []byte(got))
			})
		}
	}
}
