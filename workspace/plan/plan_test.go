package plan

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/certfile"
	"github.com/mtlswb/mtlswb/tlsengine/pki"
	"github.com/mtlswb/mtlswb/workspace"
)

// fixture is a real workspace in t.TempDir: CAs root and other, identity
// joe issued by root, bea by other, and profiles:
//
//	api      *.api.example     identity joe, CA root, timeout 3s
//	partner  partner.example   identity ann (removed: unusable)
type fixture struct {
	path string
	s    *workspace.Store
	keys *workspace.Keys
	dir  string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "ws.db")
	s, err := workspace.Create(path, workspace.CreateOptions{NoPassphrase: true})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := s.Unlock(nil)
	if err != nil {
		t.Fatal(err)
	}
	must := func(_ *workspace.Entry, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.NewCA(keys, "root", "", pki.Spec{CN: "Root", MaxPathLen: 1}))
	must(s.NewCA(keys, "other", "", pki.Spec{CN: "Other"}))
	must(s.Issue(keys, "root", "joe", pki.Spec{CN: "joe", Client: true}))
	must(s.Issue(keys, "root", "ann", pki.Spec{CN: "ann", Client: true}))
	must(s.Issue(keys, "other", "bea", pki.Spec{CN: "bea", Client: true}))
	for _, p := range []workspace.Profile{
		{Name: "api", Hosts: []string{"*.api.example"}, Identity: "joe", CAs: []string{"root"}, Timeout: "3s"},
		{Name: "partner", Hosts: []string{"partner.example"}, Identity: "ann"},
	} {
		if err := s.AddProfile(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Remove("ann", true); err != nil {
		t.Fatal(err)
	}
	return &fixture{path: path, s: s, keys: keys, dir: dir}
}

// counts is what the injected steps saw.
type counts struct {
	workspace, unlock int
	probes            []tlsengine.Request
}

// steps injects the fixture's workspace (nil: there is none), a probe
// answering with verdicts (nil verdicts: the server asks for no
// certificate; failed: the probe fails first), and an unlock that counts.
func (f *fixture) steps(c *counts, probe func(tlsengine.Request) tlsengine.Report) Steps {
	st := Steps{
		Workspace: func(need bool) (*workspace.Store, error) {
			c.workspace++
			if f == nil {
				if need {
					return nil, errors.New("no workspace here")
				}
				return nil, nil
			}
			return f.s, nil
		},
		Unlock: func(*workspace.Store) (*workspace.Keys, error) {
			c.unlock++
			return f.keys, nil
		},
	}
	if probe != nil {
		st.Probe = func(_ context.Context, req tlsengine.Request) tlsengine.Report {
			c.probes = append(c.probes, req)
			return probe(req)
		}
	}
	return st
}

// asks is a server whose certificate request the identities in fits
// satisfy.
func asks(fits ...string) func(tlsengine.Request) tlsengine.Report {
	return func(req tlsengine.Request) tlsengine.Report {
		rep := tlsengine.Report{TLS: tlsengine.TLSInfo{ClientCertRequested: true, AcceptableCAs: []string{"CN=Root"}}}
		for _, c := range req.Candidates {
			v := tlsengine.IdentityVerdict{Name: c.Name, Accepted: slices.Contains(fits, c.Name), Reason: "issued by CN=Root"}
			rep.Identities = append(rep.Identities, v)
		}
		return rep
	}
}

func asksNothing(tlsengine.Request) tlsengine.Report {
	return tlsengine.Report{OK: true}
}

func probeFails(tlsengine.Request) tlsengine.Report {
	return tlsengine.Report{Failure: &tlsengine.Failure{Summary: "connection refused"}}
}

func hash(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func TestMake(t *testing.T) {
	const api = "https://orders.api.example/v1"
	tests := map[string]struct {
		in    Input
		probe func(tlsengine.Request) tlsengine.Report
		// want
		identity  string // p.Spec.Identity, and the certificate presented
		roots     []string
		timeout   string
		profile   string // the profile applied, "" for none
		decisions []string
		unlocks   int
		probes    int
		errStep   Step
		errBad    bool
		errText   string
	}{
		"profile chosen by the URL": {
			in:       Input{Spec: workspace.RequestSpec{URL: api, Timeout: "10s"}},
			identity: "joe", roots: []string{"root"}, timeout: "3s", profile: "api", unlocks: 1,
			decisions: []string{"profile api (profile): wildcard *.api.example covers orders.api.example:443", "identity joe (profile)", "trust root (profile)"},
		},
		"profile overridden by the user's identity and timeout": {
			in: Input{Spec: workspace.RequestSpec{URL: api, Identity: "joe", Timeout: "9s"},
				Explicit: workspace.ExplicitFields{Identity: true, Timeout: true}},
			identity: "joe", roots: []string{"root"}, timeout: "9s", profile: "api", unlocks: 1,
			decisions: []string{"profile api (profile)", "override timeout (user): timeout: yours (9s) instead of profile api's (3s)",
				"identity joe (user): chosen by you", "trust root (profile)"},
		},
		"profile's trust replaced by the user's": {
			in: Input{Spec: workspace.RequestSpec{URL: api}, CAs: []string{"other"},
				Explicit: workspace.ExplicitFields{Trust: true}},
			identity: "joe", roots: []string{"other"}, timeout: "3s", profile: "api", unlocks: 1,
			decisions: []string{"profile api (profile)", "override trust (user): trust: yours (other) instead of profile api's (root)", "identity joe (profile)", "trust other (user)"},
		},
		"matching profile unusable": {
			in:      Input{Spec: workspace.RequestSpec{URL: "https://partner.example/"}},
			errStep: StepProfile, errBad: true, errText: "partner.example:443 matches profile `partner`, which cannot be used",
		},
		"unusable profile passed over for the user's identity": {
			in: Input{Spec: workspace.RequestSpec{URL: "https://partner.example/", Identity: "joe"},
				Explicit: workspace.ExplicitFields{Identity: true}},
			identity: "joe", profile: "partner", unlocks: 1,
			decisions: []string{"profile partner (profile)", "override identity (user): identity: yours (joe) instead of profile partner's (ann)"},
		},
		"no profile matches": {
			in:        Input{Spec: workspace.RequestSpec{URL: "https://elsewhere.example/"}},
			decisions: []string{"profile none (default): no profile matches elsewhere.example:443", "identity none (default)", "trust system roots (default)"},
		},
		"--profile forces one": {
			in:       Input{Spec: workspace.RequestSpec{URL: "https://elsewhere.example/"}, Profile: "api"},
			identity: "joe", roots: []string{"root"}, timeout: "3s", profile: "api", unlocks: 1,
			decisions: []string{"profile api (user): as --profile asked"},
		},
		"--profile names no profile": {
			in:      Input{Spec: workspace.RequestSpec{URL: api}, Profile: "nope"},
			errStep: StepProfile, errText: "nope",
		},
		"--no-profile": {
			in:        Input{Spec: workspace.RequestSpec{URL: api}, NoProfile: true},
			decisions: []string{"profile none (user): no profile: asked for none", "identity none (user)", "trust system roots (default)"},
		},
		"--no-profile and --profile contradict": {
			in:      Input{Spec: workspace.RequestSpec{URL: api}, NoProfile: true, Profile: "api"},
			errStep: StepInput, errBad: true, errText: "contradict",
		},
		"auto: one identity fits": {
			in: Input{Spec: workspace.RequestSpec{URL: "https://elsewhere.example/", Identity: IdentityAuto},
				Explicit: workspace.ExplicitFields{Identity: true}},
			probe:    asks("joe"),
			identity: "joe", probes: 1, unlocks: 1,
			decisions: []string{"identity joe (server): chose identity `joe`"},
		},
		"auto: two fit": {
			in: Input{Spec: workspace.RequestSpec{URL: "https://elsewhere.example/", Identity: IdentityAuto},
				Explicit: workspace.ExplicitFields{Identity: true}},
			probe: asks("joe", "bea"), probes: 1,
			errStep: StepAuto, errBad: true, errText: "2 identities fit",
		},
		"auto: none fits": {
			in: Input{Spec: workspace.RequestSpec{URL: "https://elsewhere.example/", Identity: IdentityAuto},
				Explicit: workspace.ExplicitFields{Identity: true}},
			probe: asks(), probes: 1,
			errStep: StepAuto, errText: "none of the 2 identities fits",
		},
		"auto: no certificate requested": {
			in: Input{Spec: workspace.RequestSpec{URL: "https://elsewhere.example/", Identity: IdentityAuto},
				Explicit: workspace.ExplicitFields{Identity: true}},
			probe: asksNothing, probes: 1,
			decisions: []string{"identity none (server): the server does not ask for a client certificate"},
		},
		"auto: the probe fails": {
			in: Input{Spec: workspace.RequestSpec{URL: "https://elsewhere.example/", Identity: IdentityAuto},
				Explicit: workspace.ExplicitFields{Identity: true}},
			probe: probeFails, probes: 1,
			errStep: StepAuto, errText: "the probe failed before the server asked for a client certificate: connection refused",
		},
		"auto with the profile's trust": {
			in: Input{Spec: workspace.RequestSpec{URL: api, Identity: IdentityAuto},
				Explicit: workspace.ExplicitFields{Identity: true}},
			probe:    asks("joe"),
			identity: "joe", roots: []string{"root"}, timeout: "3s", profile: "api", probes: 1, unlocks: 1,
			decisions: []string{"profile api (profile)", "override identity (user): identity: yours (auto) instead of profile api's (joe)", "identity joe (server)"},
		},
		"auto and --cert contradict": {
			in:      Input{Spec: workspace.RequestSpec{URL: api, Identity: IdentityAuto}, CertFile: "c.pem", KeyFile: "k.pem"},
			errStep: StepInput, errBad: true, errText: "does not combine with --cert/--key",
		},
		"--cert without --key": {
			in:      Input{Spec: workspace.RequestSpec{URL: api}, CertFile: "c.pem"},
			errStep: StepInput, errBad: true, errText: "--cert and --key go together",
		},
		"an unknown identity": {
			in: Input{Spec: workspace.RequestSpec{URL: "https://elsewhere.example/", Identity: "zed"},
				Explicit: workspace.ExplicitFields{Identity: true}},
			unlocks: 1, errStep: StepResolve, errBad: true, errText: "zed",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			before := hash(t, f.path)
			var c counts
			p, err := Make(context.Background(), tc.in, f.steps(&c, tc.probe))
			if tc.errStep != "" {
				var pe *Error
				if !errors.As(err, &pe) || pe.Step != tc.errStep || pe.BadInput != tc.errBad || !strings.Contains(err.Error(), tc.errText) {
					t.Fatalf("error %v (%+v), want step %s, bad input %v, containing %q", err, pe, tc.errStep, tc.errBad, tc.errText)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if c.unlock != tc.unlocks || len(c.probes) != tc.probes {
				t.Errorf("unlocked %d time(s), probed %d; want %d, %d", c.unlock, len(c.probes), tc.unlocks, tc.probes)
			}
			for _, req := range c.probes {
				if !req.Probe || req.ClientCert != nil || len(req.Candidates) == 0 {
					t.Errorf("the auto probe must present nothing and list the candidates: %+v", req)
				}
			}
			got := explainLines(p)
			for _, want := range tc.decisions {
				if !slices.ContainsFunc(got, func(l string) bool { return strings.HasPrefix(l, want) }) {
					t.Errorf("no decision %q in:\n%s", want, strings.Join(got, "\n"))
				}
			}
			if hash(t, f.path) != before {
				t.Error("planning changed the workspace file")
			}
			if err != nil {
				return
			}
			if p.Spec.Identity != tc.identity || p.Request.ClientName != tc.identity {
				t.Errorf("identity %q, presented %q; want %q", p.Spec.Identity, p.Request.ClientName, tc.identity)
			}
			if !slices.Equal(p.Request.RootNames, tc.roots) {
				t.Errorf("trusted %v, want %v", p.Request.RootNames, tc.roots)
			}
			if want := orDefault(tc.timeout, tc.in.Spec.Timeout); p.Spec.Timeout != want {
				t.Errorf("timeout %q, want %q", p.Spec.Timeout, want)
			}
			if name := profileName(p); name != tc.profile {
				t.Errorf("profile %q, want %q", name, tc.profile)
			}
		})
	}
}

// explainLines renders decisions as "kind choice (source): why" for the
// tests to match.
func explainLines(p *Plan) []string {
	var out []string
	for _, d := range p.Decisions {
		out = append(out, string(d.Kind)+" "+orDefault(d.Choice, "none")+" ("+string(d.Source)+"): "+d.Why)
	}
	return out
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func profileName(p *Plan) string {
	if p.Profile == nil {
		return ""
	}
	return p.Profile.Name
}

// TestCertFilesWithoutWorkspace: a --cert/--key request with a --ca file
// opens no workspace when there is none, and never unlocks.
func TestCertFilesWithoutWorkspace(t *testing.T) {
	dir := t.TempDir()
	root, err := pki.NewRoot(pki.Spec{CN: "Files Root", IsCA: true})
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := root.Issue(pki.Spec{CN: "file-client", Client: true})
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	both, err := certfile.EncodePEM([]*x509.Certificate{leaf.Cert}, leaf.Key, nil)
	if err != nil {
		t.Fatal(err)
	}
	rootPEM, err := certfile.EncodePEM([]*x509.Certificate{root.Cert}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	certFile, caFile := write("client.pem", both), write("root.pem", rootPEM)

	var none *fixture
	var c counts
	in := Input{Spec: workspace.RequestSpec{URL: "https://localhost:8443/"}, CertFile: certFile, KeyFile: certFile, CAs: []string{caFile},
		Explicit: workspace.ExplicitFields{Identity: true, Trust: true}}
	p, err := Make(context.Background(), in, none.steps(&c, nil))
	if err != nil {
		t.Fatal(err)
	}
	if p.Store != nil || c.unlock != 0 {
		t.Errorf("store %v, unlocked %d time(s): want neither", p.Store, c.unlock)
	}
	if p.Request.ClientCert == nil || p.Request.ClientName != certFile || !slices.Equal(p.Request.RootNames, []string{caFile}) {
		t.Errorf("request: client %q, roots %v", p.Request.ClientName, p.Request.RootNames)
	}
	if d, _ := p.Find(KindIdentity); d.Choice != certFile || d.Source != SourceUser {
		t.Errorf("identity decision %+v", d)
	}

	// --profile needs a workspace; a CA name needs one too.
	in.Profile = "api"
	if _, err := Make(context.Background(), in, none.steps(&c, nil)); err == nil || !strings.Contains(err.Error(), "no workspace to hold profiles") {
		t.Errorf("--profile without a workspace: %v", err)
	}
	in.Profile, in.CAs = "", []string{"root-by-name"}
	if _, err := Make(context.Background(), in, none.steps(&c, nil)); err == nil || !strings.Contains(err.Error(), "no workspace here") {
		t.Errorf("a CA name without a workspace: %v", err)
	}
}

// TestDecideThenResolve is the TUI's way: decide, then resolve once the
// keys are there; unlock is asked only by Resolve, and only for a key.
func TestDecideThenResolve(t *testing.T) {
	f := newFixture(t)
	var c counts
	st := f.steps(&c, asks("joe"))
	p, err := Decide(context.Background(), Input{Spec: workspace.RequestSpec{URL: "https://x.example/", Identity: IdentityAuto},
		Explicit: workspace.ExplicitFields{Identity: true}}, st)
	if err != nil {
		t.Fatal(err)
	}
	if c.unlock != 0 || !p.NeedsKey() || p.Spec.Identity != "joe" {
		t.Fatalf("after Decide: unlocked %d, needs key %v, identity %q", c.unlock, p.NeedsKey(), p.Spec.Identity)
	}
	if err := p.Resolve(st.Unlock); err != nil {
		t.Fatal(err)
	}
	if c.unlock != 1 || p.Request.ClientName != "joe" || len(c.probes) != 1 {
		t.Errorf("after Resolve: unlocked %d, presented %q, probed %d", c.unlock, p.Request.ClientName, len(c.probes))
	}
}

// TestPreview: the TUI's live line decides from a selection without any
// workspace or network.
func TestPreview(t *testing.T) {
	ps := workspace.ProfileSet{Profiles: []workspace.Profile{
		{Name: "api", Hosts: []string{"*.api.example"}, Identity: "joe", CAs: []string{"root"}},
		{Name: "shared", Hosts: []string{"shared.example"}, UnboundIdentity: "theirs"},
	}}
	tests := map[string]struct {
		url, identity string
		noProfile     bool
		want          []string
		errText       string
	}{
		"matched":         {url: "https://a.api.example/", want: []string{"profile api (profile)", "identity joe (profile)", "trust root (profile)"}},
		"user's identity": {url: "https://a.api.example/", identity: "ann", want: []string{"override identity (user)", "identity ann (user)"}},
		"auto":            {url: "https://a.api.example/", identity: IdentityAuto, want: []string{"identity auto (user): the server's certificate request will decide"}},
		"no profile":      {url: "https://a.api.example/", noProfile: true, want: []string{"profile none (user)", "identity none (user)"}},
		"unbound":         {url: "https://shared.example/", errText: "not bound yet"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			sel, err := ps.Select(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			in := Input{Spec: workspace.RequestSpec{URL: tc.url, Identity: tc.identity}, NoProfile: tc.noProfile,
				Explicit: workspace.ExplicitFields{Identity: tc.identity != ""}}
			p, err := Preview(sel, in)
			if tc.errText != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errText) {
					t.Fatalf("error %v, want %q", err, tc.errText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := explainLines(p)
			for _, want := range tc.want {
				if !slices.ContainsFunc(got, func(l string) bool { return strings.HasPrefix(l, want) }) {
					t.Errorf("no decision %q in:\n%s", want, strings.Join(got, "\n"))
				}
			}
		})
	}
}
