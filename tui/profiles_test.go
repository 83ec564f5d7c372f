package tui

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/workspace"
)

// recordingEngine answers probes without a certificate with the given
// verdicts (a server asking for a client certificate) and everything else
// with okReport, remembering every request it got.
type recordingEngine struct {
	mu       sync.Mutex
	reqs     []tlsengine.Request
	verdicts []tlsengine.IdentityVerdict
}

func (e *recordingEngine) run(_ context.Context, req tlsengine.Request) tlsengine.Report {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.reqs = append(e.reqs, req)
	if req.Probe && req.ClientCert == nil {
		return tlsengine.Report{TLS: tlsengine.TLSInfo{ClientCertRequested: true, AcceptableCAs: []string{"CN=Team Issuing CA"}},
			Identities: e.verdicts}
	}
	return okReport()
}

func (e *recordingEngine) requests() []tlsengine.Request {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.reqs)
}

func profileWorkspace(t *testing.T) string {
	t.Helper()
	ws := newTestWorkspace(t, false)
	path := ws.copyOf(t)
	s, err := workspace.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	err = s.AddProfile(workspace.Profile{Name: "partner", Hosts: []string{"*.example.org"}, Identity: "alice", CAs: []string{"dev-root"}})
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func TestComposerUsesMatchingProfile(t *testing.T) {
	eng := &recordingEngine{}
	m := newTestModel(t, profileWorkspace(t), eng.run)
	start(t, m, 120, 40)
	press(t, m, "3")
	typeText(t, m, "https://example.net/")
	if v := plainView(m); !strings.Contains(v, "→ no profile matches example.net:443") {
		t.Fatalf("no live which line for an unmatched URL:\n%s", v)
	}
	for range len("example.net/") {
		press(t, m, "backspace")
	}
	typeText(t, m, "api.example.org/")
	v := plainView(m)
	for _, want := range []string{
		"→ profile partner (identity alice): wildcard *.example.org covers api.example.org:443",
		"presents alice from profile partner",
		"(profile partner: alice)",
	} {
		if !strings.Contains(v, want) {
			t.Errorf("composer lacks %q:\n%s", want, v)
		}
	}
	press(t, m, "ctrl+s")
	reqs := eng.requests()
	if len(reqs) != 1 || reqs[0].ClientName != "alice" || !slices.Contains(reqs[0].RootNames, "dev-root") {
		t.Fatalf("the profile's identity and trust were not used: %+v", reqs)
	}
}

func TestComposerAutoIdentity(t *testing.T) {
	tests := map[string]struct {
		verdicts []tlsengine.IdentityVerdict
		wantSent string // "" when nothing may be sent after the probe
		wantMsg  string
	}{
		"one fits": {
			verdicts: []tlsengine.IdentityVerdict{{Name: "alice", Accepted: true, Reason: "accepted"}, {Name: "bob-soon", Reason: "issued by CN=Other"}},
			wantSent: "alice", wantMsg: "auto: chose identity `alice`",
		},
		"two fit": {
			verdicts: []tlsengine.IdentityVerdict{{Name: "alice", Accepted: true}, {Name: "bob-soon", Accepted: true}},
			wantMsg:  "2 identities fit",
		},
		"none fits": {
			verdicts: []tlsengine.IdentityVerdict{{Name: "alice", Reason: "issued by CN=Other"}},
			wantMsg:  "alice: issued by CN=Other",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			eng := &recordingEngine{verdicts: tc.verdicts}
			ws := newTestWorkspace(t, false)
			m := newTestModel(t, ws.copyOf(t), eng.run)
			start(t, m, 120, 40)
			press(t, m, "3")
			typeText(t, m, "https://api.example.net/")
			// URL → Headers → Body → Identity; ← from the default is auto.
			press(t, m, "tab", "tab", "tab", "left")
			if !strings.Contains(plainView(m), "◂ auto ▸") {
				t.Fatalf("auto is not offered:\n%s", plainView(m))
			}
			press(t, m, "ctrl+s")
			reqs := eng.requests()
			if len(reqs) == 0 || !reqs[0].Probe || reqs[0].ClientCert != nil || len(reqs[0].Candidates) == 0 {
				t.Fatalf("auto did not probe first with the identities as candidates: %+v", reqs)
			}
			sent := ""
			if len(reqs) > 1 {
				sent = reqs[1].ClientName
			}
			if len(reqs) > 2 || sent != tc.wantSent {
				t.Fatalf("after the probe: %d request(s), sent %q; want %q", len(reqs), sent, tc.wantSent)
			}
			said := m.status
			if tc.wantSent != "" && m.inspector.report != nil {
				said = strings.Join(m.inspector.report.Warnings, "\n")
			}
			if !strings.Contains(said, tc.wantMsg) {
				t.Errorf("%q lacks %q", said, tc.wantMsg)
			}
			if m.composer.sending {
				t.Error("the composer still shows a request in flight")
			}
			if _, ok := m.composer.verdicts["alice"]; !ok {
				t.Error("the candidates' verdicts are not kept for the identity list")
			}
		})
	}
}

// TestComposerRefusesUnusableProfile: a profile whose identity was removed
// stops the send before anything reaches the network, with the CLI's
// message; identity "none" sends without the profile at all.
func TestComposerRefusesUnusableProfile(t *testing.T) {
	path := profileWorkspace(t)
	s, err := workspace.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Remove("alice", true); err != nil {
		t.Fatal(err)
	}
	eng := &recordingEngine{}
	m := newTestModel(t, path, eng.run)
	start(t, m, 120, 40)
	press(t, m, "3")
	typeText(t, m, "https://api.example.org/")
	press(t, m, "ctrl+s")
	if reqs := eng.requests(); len(reqs) != 0 || !strings.Contains(m.status, "matches profile `partner`, which cannot be used") {
		t.Fatalf("sent %d request(s); status %q", len(reqs), m.status)
	}
	// URL → Headers → Body → Identity; ← ← from the default is "none".
	press(t, m, "tab", "tab", "tab", "left", "left")
	if v := plainView(m); !strings.Contains(v, "; not used: no client certificate") {
		t.Fatalf("the which line does not say the profile is unused:\n%s", v)
	}
	press(t, m, "ctrl+s")
	reqs := eng.requests()
	if len(reqs) != 1 || reqs[0].ClientCert != nil || slices.Contains(reqs[0].RootNames, "dev-root") {
		t.Fatalf("identity none must send without the profile: %+v", reqs)
	}
}
