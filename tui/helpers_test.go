package tui

import (
	"context"
	"crypto/x509"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/certinfo"
	"github.com/mtlswb/mtlswb/tlsengine/pki"
	"github.com/mtlswb/mtlswb/workspace"
)

// fixedNow is the pinned clock of golden tests. Certificates are made
// relative to it; the ones whose details are shown stay valid for years, so
// the workspace's own (real-time) chain check agrees with the pinned one.
var fixedNow = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

const testPass = "correct horse battery staple"

// testWorkspace is a real workspace in t.TempDir with a root, an
// intermediate and identities in every state the list badges.
type testWorkspace struct {
	path    string
	store   *workspace.Store
	secrets []string // fingerprints and serials to mask in golden files
}

func newTestWorkspace(t testing.TB, encrypted bool) *testWorkspace {
	t.Helper()
	t.Cleanup(workspace.AllowWeakKDFForTests())
	path := filepath.Join(t.TempDir(), "ws.db")
	opts := workspace.CreateOptions{NoPassphrase: !encrypted}
	if encrypted {
		opts.Passphrase = []byte(testPass)
	}
	s, err := workspace.Create(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := s.Unlock([]byte(testPass))
	if err != nil {
		t.Fatal(err)
	}
	defer keys.Lock()
	long := fixedNow.AddDate(10, 0, 0)
	must := func(_ *workspace.Entry, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.NewCA(keys, "dev-root", "", pki.Spec{CN: "Dev Root CA", NotBefore: fixedNow.AddDate(-1, 0, 0), NotAfter: long.AddDate(1, 0, 0), MaxPathLen: 1}))
	must(s.NewCA(keys, "team-ca", "dev-root", pki.Spec{CN: "Team Issuing CA", NotBefore: fixedNow.AddDate(-1, 0, 0), NotAfter: long}))
	spiffe, _ := url.Parse("spiffe://example.org/ns/payments/sa/alice")
	must(s.Issue(keys, "team-ca", "alice", pki.Spec{CN: "alice", Client: true, DNSNames: []string{"alice.example.org"},
		IPs: []net.IP{net.ParseIP("127.0.0.1")}, URIs: []*url.URL{spiffe}, NotBefore: fixedNow.AddDate(0, -1, 0), NotAfter: long}))
	must(s.Issue(keys, "team-ca", "bob-soon", pki.Spec{CN: "bob", Client: true, NotBefore: fixedNow.AddDate(0, -11, 0), NotAfter: fixedNow.AddDate(0, 0, 12)}))
	must(s.Issue(keys, "team-ca", "carol-old", pki.Spec{CN: "carol", Client: true, NotBefore: fixedNow.AddDate(-2, 0, 0), NotAfter: fixedNow.AddDate(0, -1, 0)}))
	must(s.Issue(keys, "dev-root", "web-server", pki.Spec{CN: "web.example.org", Server: true, DNSNames: []string{"web.example.org"}, NotBefore: fixedNow.AddDate(0, -1, 0), NotAfter: long}))
	ws := &testWorkspace{path: path, store: s}
	entries, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		rec, err := s.Get(e.Name)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range rec.Chain {
			ws.addSecrets(c)
		}
	}
	return ws
}

func (w *testWorkspace) addSecrets(c *x509.Certificate) {
	info := certinfo.Describe(c)
	for _, s := range []string{info.Serial, info.SHA256, info.SPKISHA256, info.X5tS256} {
		w.secrets = append(w.secrets, s)
		for parts := 2; parts <= 8; parts *= 2 {
			size := (len(s) + parts - 1) / parts
			for i := 0; i < len(s); i += size {
				if chunk := s[i:min(i+size, len(s))]; len(chunk) >= 6 {
					w.secrets = append(w.secrets, chunk)
				}
			}
		}
	}
}

// mask replaces every random value (fingerprints, serials) by x's of the same
// length, so golden files do not change with the keys made for each run.
func (w *testWorkspace) mask(s string) string {
	secrets := append([]string(nil), w.secrets...)
	sort.Slice(secrets, func(i, j int) bool { return len(secrets[i]) > len(secrets[j]) })
	for _, sec := range secrets {
		s = strings.ReplaceAll(s, sec, strings.Repeat("x", len(sec)))
	}
	return s
}

// copyOf copies the workspace file, so a test that sends (and so adds
// history) leaves the shared fixture as it was.
func (w *testWorkspace) copyOf(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile(w.path)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "ws.db")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// newTestModel builds the root model against ws with the pinned clock, no
// polling, and engine (nil: a fixed failure).
func newTestModel(t testing.TB, path string, engine func(context.Context, tlsengine.Request) tlsengine.Report) *model {
	t.Helper()
	if engine == nil {
		engine = func(context.Context, tlsengine.Request) tlsengine.Report { return failureReport() }
	}
	m := New(Options{WorkspacePath: path, Engine: engine, Now: func() time.Time { return fixedNow }}).(*model)
	m.sh.pollEvery = 0
	return m
}

// drive runs cmd and every command its messages lead to, feeding the
// messages back into m, until nothing is left. Commands run concurrently as
// in a real program; the deadline guards against a command that never ends.
func drive(t testing.TB, m *model, cmd tea.Cmd) {
	t.Helper()
	driveQuit(t, m, cmd)
}

// driveQuit is drive, and says whether a command asked to quit.
func driveQuit(t testing.TB, m *model, cmd tea.Cmd) (quit bool) {
	t.Helper()
	ch := make(chan tea.Msg, 64)
	pending := 0
	run := func(c tea.Cmd) {
		if c == nil {
			return
		}
		pending++
		go func() { ch <- c() }()
	}
	run(cmd)
	deadline := time.After(20 * time.Second)
	for pending > 0 {
		select {
		case msg := <-ch:
			pending--
			switch msg := msg.(type) {
			case nil:
			case tea.QuitMsg:
				quit = true
			case tea.BatchMsg:
				for _, c := range msg {
					run(c)
				}
			default:
				_, c := m.Update(msg)
				run(c)
			}
		case <-deadline:
			t.Fatalf("commands still running after 20s")
		}
	}
	return quit
}

// start sizes m, runs Init and everything it loads.
func start(t testing.TB, m *model, w, h int) {
	t.Helper()
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	drive(t, m, m.Init())
}

// keyMsg builds the key press a terminal would send for a key name.
func keyMsg(k string) tea.KeyPressMsg {
	km := keyPress(k)
	if km.Code == 0 {
		panic("keyMsg: unknown key " + k)
	}
	return km
}

// press sends keys one by one, running what each one starts.
func press(t testing.TB, m *model, keys ...string) {
	t.Helper()
	for _, k := range keys {
		_, cmd := m.Update(keyMsg(k))
		drive(t, m, cmd)
	}
}

// typeText types s into whatever has focus.
func typeText(t testing.TB, m *model, s string) {
	t.Helper()
	for _, r := range s {
		_, cmd := m.Update(tea.KeyPressMsg{Code: r, Text: string(r)})
		drive(t, m, cmd)
	}
}

func plainView(m *model) string {
	return ansi.Strip(m.View().Content)
}

func failureReport() tlsengine.Report {
	return tlsengine.Report{
		OK:      false,
		Request: tlsengine.RequestInfo{Method: "GET", URL: "https://api.example.org:8443/orders", Identity: "bob-soon"},
		Failure: &tlsengine.Failure{
			Phase:    tlsengine.PhaseHandshake,
			Category: tlsengine.ClientCertUnknownCA,
			Summary:  "the server does not trust the issuer of identity `bob-soon`",
			Detail:   "remote error: tls: unknown certificate authority (alert 48) after the handshake",
			Hints: []string{
				"present an identity issued by a CA the server lists: alice would be accepted",
				"or ask the server's operator to trust Team Issuing CA",
			},
			Alert: 48,
		},
		Timing: tlsengine.Timing{DNSMs: 0.4, ConnectMs: 0.6, TLSMs: 3.2, TotalMs: 4.5},
		TLS: tlsengine.TLSInfo{
			Version: "TLS 1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", ServerName: "api.example.org",
			ClientCertRequested: true,
			AcceptableCAs:       []string{"CN=Partner Root CA,O=Partner", "CN=Dev Root CA"},
			ClientCertSent:      &tlsengine.CertSummary{Subject: "CN=bob", Issuer: "CN=Team Issuing CA", SHA256: "ab"},
			ClientCertNote:      "the certificate's issuer is not among the CAs the server listed",
			ServerChain: []tlsengine.ChainLink{
				{Subject: "CN=api.example.org", Issuer: "CN=Partner Root CA,O=Partner", NotBefore: fixedNow.AddDate(0, -2, 0), NotAfter: fixedNow.AddDate(1, 0, 0), DNSNames: []string{"api.example.org"}, SHA256: "5e1f00d1", Verdict: "ok", Source: "server"},
				{Subject: "CN=Partner Root CA,O=Partner", Issuer: "CN=Partner Root CA,O=Partner", NotBefore: fixedNow.AddDate(-3, 0, 0), NotAfter: fixedNow.AddDate(7, 0, 0), SHA256: "77aa0102", Verdict: "not among the trusted roots", Problems: []string{"not among the trusted roots"}, Source: "server"},
			},
			Verification: tlsengine.Verification{OK: false, Error: "x509: certificate signed by unknown authority"},
		},
		Identities: []tlsengine.IdentityVerdict{
			{Name: "alice", Accepted: true},
			{Name: "bob-soon", Accepted: false, Reason: "issued by Team Issuing CA, which the server does not list"},
			{Name: "carol-old", Accepted: false, Reason: "expired"},
		},
		StartedAt: fixedNow,
	}
}

func okReport() tlsengine.Report {
	body := []byte(`{"orders":[{"id":1,"item":"widget","qty":2},{"id":2,"item":"gadget","qty":1}],"next":null}`)
	return tlsengine.Report{
		OK:      true,
		Request: tlsengine.RequestInfo{Method: "GET", URL: "https://api.example.org:8443/orders", Identity: "alice"},
		Timing:  tlsengine.Timing{DNSMs: 0.4, ConnectMs: 0.6, TLSMs: 3.2, RequestSentMs: 0.1, TTFBMs: 2.2, TotalMs: 7.0},
		TLS: tlsengine.TLSInfo{
			Version: "TLS 1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", ALPN: "h2", ServerName: "api.example.org",
			ClientCertRequested: true, AcceptableCAs: []string{"CN=Dev Root CA"},
			ClientCertSent: &tlsengine.CertSummary{Subject: "CN=alice", Issuer: "CN=Team Issuing CA", SHA256: "cd"},
			ServerChain: []tlsengine.ChainLink{
				{Subject: "CN=api.example.org", Issuer: "CN=Dev Root CA", NotBefore: fixedNow.AddDate(0, -2, 0), NotAfter: fixedNow.AddDate(1, 0, 0), DNSNames: []string{"api.example.org"}, SHA256: "5e1f00d1", Verdict: "ok", Source: "server"},
				{Subject: "CN=Dev Root CA", Issuer: "CN=Dev Root CA", NotBefore: fixedNow.AddDate(-1, 0, 0), NotAfter: fixedNow.AddDate(11, 0, 0), SHA256: "77aa0102", Verdict: "ok", Source: "trust"},
			},
			Verification: tlsengine.Verification{OK: true},
		},
		HTTP: &tlsengine.HTTPInfo{Status: 200, Proto: "HTTP/2.0", Headers: map[string][]string{"Content-Type": {"application/json"}, "X-Request-Id": {"r-42"}},
			BodyBytes: int64(len(body)), BodyPreview: string(body), Body: body},
		Identities: []tlsengine.IdentityVerdict{{Name: "alice", Accepted: true}, {Name: "bob-soon", Accepted: false, Reason: "issued by Team Issuing CA, which the server does not list"}},
		StartedAt:  fixedNow,
	}
}
