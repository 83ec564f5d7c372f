package demo

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/pki"
	"github.com/mtlswb/mtlswb/tlsengine/serve"
	"github.com/mtlswb/mtlswb/workspace"
	"github.com/mtlswb/mtlswb/workspace/plan"
)

// Guide is shown on screen while the demo runs.
const Guide = "DEMO · 4 → tab to Saved → pick a scenario → ctrl+s → read the Verdict tab"

// Label marks every record of a demo workspace.
const Label = "demo"

// Scenario is one saved request and the category it must produce ("" for
// success).
type Scenario struct {
	Name   string
	Title  string
	Expect tlsengine.Category
	Spec   workspace.RequestSpec
}

// Demo is a running demo: its workspace and servers.
type Demo struct {
	Path      string
	Scenarios []Scenario
	dir       string
	removeDir bool
	servers   []*serve.Server
}

// Start builds the demo workspace in dir (a new temp dir when dir is empty,
// removed again by Close) and starts its servers on 127.0.0.1.
func Start(dir string) (_ *Demo, err error) {
	d := &Demo{}
	if dir == "" {
		if dir, err = os.MkdirTemp("", "mtlswb-demo-"); err != nil {
			return nil, err
		}
		d.removeDir = true
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	d.dir = dir
	d.Path = filepath.Join(dir, "demo-workspace.db")
	defer func() {
		if err != nil {
			d.Close()
		}
	}()
	if workspace.Exists(d.Path) {
		// A kept demo from an earlier run: its saved requests name ports that
		// are gone, so build it anew.
		if err := os.Remove(d.Path); err != nil {
			return nil, err
		}
	}
	store, err := workspace.Create(d.Path, workspace.CreateOptions{NoPassphrase: true})
	if err != nil {
		return nil, err
	}
	keys, err := store.Unlock(nil)
	if err != nil {
		return nil, err
	}
	p, err := newPKI()
	if err != nil {
		return nil, err
	}
	if err := store.Add(keys, p.records()); err != nil {
		return nil, err
	}
	if err := d.startScenarios(p); err != nil {
		return nil, err
	}
	for _, sc := range d.Scenarios {
		spec, err := json.Marshal(sc.Spec)
		if err != nil {
			return nil, err
		}
		if err := store.SaveRequest(workspace.SavedRequest{Name: sc.Name, Spec: spec, Saved: time.Now()}); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// Close stops the servers and removes a temporary demo directory.
func (d *Demo) Close() error {
	var errs []error
	for _, s := range d.servers {
		if err := s.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	d.servers = nil
	if d.removeDir {
		errs = append(errs, os.RemoveAll(d.dir))
	}
	return errors.Join(errs...)
}

// Check sends every saved request and writes one line per scenario with the
// category it got and whether that is the expected one. It reports whether
// all matched.
func (d *Demo) Check(ctx context.Context, w io.Writer) (bool, error) {
	store, err := workspace.Open(d.Path)
	if err != nil {
		return false, err
	}
	keys, err := store.Unlock(nil)
	if err != nil {
		return false, err
	}
	// The scenarios are exact requests: no profile (the demo workspace has
	// none anyway), so each gets what its saved spec says.
	steps := plan.Steps{
		Workspace: func(bool) (*workspace.Store, error) { return store, nil },
		Unlock:    func(*workspace.Store) (*workspace.Keys, error) { return keys, nil },
	}
	all := true
	for _, sc := range d.Scenarios {
		p, err := plan.Make(ctx, plan.Input{Spec: sc.Spec, NoProfile: true}, steps)
		if err != nil {
			return false, fmt.Errorf("scenario %s: %w", sc.Name, err)
		}
		rep := tlsengine.Run(ctx, p.Request)
		got := tlsengine.Category("ok")
		if rep.Failure != nil {
			got = rep.Failure.Category
		} else if !rep.OK {
			got = "failed"
		}
		want := sc.Expect
		if want == "" {
			want = "ok"
		}
		mark := "ok  "
		if got != want {
			mark, all = "FAIL", false
		}
		fmt.Fprintf(w, "%s %-26s got %-26s want %-26s %s\n", mark, sc.Name, got, want, sc.Title)
	}
	return all, nil
}

// demoPKI is every certificate the demo needs.
type demoPKI struct {
	serverRoot, clientRoot, clientInter, rogue, serverInter pki.Pair
	server, wrongHost, untrustedServer, chainLeaf           pki.Pair
	alice, bob, expired, wrongEKU, rogueID, direct          pki.Pair
}

func newPKI() (*demoPKI, error) {
	var p demoPKI
	var err error
	must := func(pair pki.Pair, e error) pki.Pair {
		if err == nil {
			err = e
		}
		return pair
	}
	local := []net.IP{net.IPv4(127, 0, 0, 1)}
	p.serverRoot = must(pki.NewRoot(pki.Spec{CN: "Demo Server Root", IsCA: true, MaxPathLen: 1, Days: 3650}))
	p.clientRoot = must(pki.NewRoot(pki.Spec{CN: "Demo Client Root", IsCA: true, MaxPathLen: 1, Days: 3650}))
	p.rogue = must(pki.NewRoot(pki.Spec{CN: "Rogue CA", IsCA: true, Days: 3650}))
	if err != nil {
		return nil, err
	}
	p.clientInter = must(p.clientRoot.Issue(pki.Spec{CN: "Demo Client Issuing CA", IsCA: true, Days: 1825}))
	p.serverInter = must(p.serverRoot.Issue(pki.Spec{CN: "Demo Server Issuing CA", IsCA: true, Days: 1825}))
	p.server = must(p.serverRoot.Issue(pki.Spec{CN: "localhost", Server: true, DNSNames: []string{"localhost"}, IPs: local}))
	p.wrongHost = must(p.serverRoot.Issue(pki.Spec{CN: "api.partner.example", Server: true, DNSNames: []string{"api.partner.example"}}))
	p.untrustedServer = must(p.rogue.Issue(pki.Spec{CN: "localhost", Server: true, DNSNames: []string{"localhost"}, IPs: local}))
	if err != nil {
		return nil, err
	}
	p.chainLeaf = must(p.serverInter.Issue(pki.Spec{CN: "localhost", Server: true, DNSNames: []string{"localhost"}, IPs: local}))
	p.alice = must(p.clientInter.Issue(pki.Spec{CN: "alice", Client: true}))
	p.bob = must(p.clientInter.Issue(pki.Spec{CN: "bob", Client: true}))
	p.direct = must(p.clientRoot.Issue(pki.Spec{CN: "carol", Client: true}))
	p.expired = must(p.clientRoot.Issue(pki.Spec{CN: "old-alice", Client: true,
		NotBefore: time.Now().Add(-400 * 24 * time.Hour), NotAfter: time.Now().Add(-35 * 24 * time.Hour)}))
	p.wrongEKU = must(p.clientRoot.Issue(pki.Spec{CN: "server-only", ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}))
	p.rogueID = must(p.rogue.Issue(pki.Spec{CN: "mallory", Client: true}))
	return &p, err
}

func (p *demoPKI) records() []workspace.NewRecord {
	ca := func(name string, pair pki.Pair) workspace.NewRecord {
		return workspace.NewRecord{Kind: workspace.KindCA, Name: name, Chain: []*x509.Certificate{pair.Cert}, Key: pair.Key, Source: "demo", Labels: []string{Label}}
	}
	id := func(name string, pair pki.Pair, chain ...pki.Pair) workspace.NewRecord {
		certs := []*x509.Certificate{pair.Cert}
		for _, c := range chain {
			certs = append(certs, c.Cert)
		}
		return workspace.NewRecord{Kind: workspace.KindIdentity, Name: name, Chain: certs, Key: pair.Key, Source: "demo", Labels: []string{Label}}
	}
	return []workspace.NewRecord{
		ca("server-root", p.serverRoot),
		// The server's intermediate is in the workspace (as a partner's CA
		// bundle would be), so the incomplete-chain scenario can name it.
		ca("server-issuing", p.serverInter),
		ca("client-root", p.clientRoot),
		ca("client-issuing", p.clientInter),
		ca("rogue-ca", p.rogue),
		id("alice", p.alice, p.clientInter),
		id("bob", p.bob, p.clientInter),
		id("carol", p.direct),
		id("expired-alice", p.expired),
		id("server-only", p.wrongEKU),
		id("mallory", p.rogueID),
		id("localhost", p.server),
	}
}

// scenarioServer describes one server to start.
type scenarioServer struct {
	cert      pki.Pair
	chain     []pki.Pair
	clientCAs []*x509.Certificate
	auth      string
	allowCN   []string
	maxTLS    uint16
}

func (d *Demo) start(s scenarioServer) (string, error) {
	cert := tls.Certificate{PrivateKey: s.cert.Key, Leaf: s.cert.Cert, Certificate: [][]byte{s.cert.Cert.Raw}}
	for _, c := range s.chain {
		cert.Certificate = append(cert.Certificate, c.Cert.Raw)
	}
	srv, err := serve.New(serve.Config{Cert: cert, ClientCAs: s.clientCAs, ClientAuth: s.auth, AllowCN: s.allowCN, MaxVersion: s.maxTLS, Log: io.Discard})
	if err != nil {
		return "", err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	d.servers = append(d.servers, srv)
	go srv.Serve(ln)
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port, nil
}

func (d *Demo) startScenarios(p *demoPKI) error {
	clientCAs := []*x509.Certificate{p.clientRoot.Cert}
	type def struct {
		name, title string
		expect      tlsengine.Category
		server      scenarioServer
		spec        workspace.RequestSpec
	}
	trustServer := []string{"server-root"}
	defs := []def{
		{"01-mtls-ok", "mTLS required, identity alice (issued by an intermediate) is accepted", "",
			scenarioServer{cert: p.server, clientCAs: clientCAs, auth: "require"},
			workspace.RequestSpec{Identity: "alice", CAs: trustServer}},
		{"02-no-client-cert", "the server requires a client certificate and none is sent", tlsengine.ClientCertRequired,
			scenarioServer{cert: p.server, clientCAs: clientCAs, auth: "require"},
			workspace.RequestSpec{CAs: trustServer}},
		{"03-rogue-identity", "the server trusts only Demo Client Root; mallory is issued by Rogue CA", tlsengine.ClientCertUnknownCA,
			scenarioServer{cert: p.server, clientCAs: clientCAs, auth: "require"},
			workspace.RequestSpec{Identity: "mallory", CAs: trustServer}},
		{"04-expired-identity", "the client certificate expired 35 days ago", tlsengine.ClientCertExpired,
			scenarioServer{cert: p.server, clientCAs: clientCAs, auth: "require"},
			workspace.RequestSpec{Identity: "expired-alice", CAs: trustServer}},
		{"05-wrong-usage", "the client certificate is for servers only (no clientAuth EKU)", tlsengine.ClientCertWrongUsage,
			scenarioServer{cert: p.server, clientCAs: clientCAs, auth: "require"},
			workspace.RequestSpec{Identity: "server-only", CAs: trustServer}},
		{"06-wrong-host", "the server's certificate is for api.partner.example, not localhost", tlsengine.ServerHostnameMismatch,
			scenarioServer{cert: p.wrongHost, clientCAs: clientCAs, auth: "require"},
			workspace.RequestSpec{Identity: "alice", CAs: trustServer}},
		{"07-untrusted-server", "the server's certificate comes from a root you did not trust", tlsengine.ServerCertUntrusted,
			scenarioServer{cert: p.untrustedServer, clientCAs: clientCAs, auth: "require"},
			workspace.RequestSpec{Identity: "alice", CAs: trustServer}},
		{"08-incomplete-chain", "the server sends its leaf but not the intermediate that links it to the root", tlsengine.ServerChainIncomplete,
			scenarioServer{cert: p.chainLeaf, clientCAs: clientCAs, auth: "require"},
			workspace.RequestSpec{Identity: "alice", CAs: trustServer}},
		{"09-tls12-only", "the server speaks only TLS 1.2 and the request demands 1.3", tlsengine.ProtocolVersionMismatch,
			scenarioServer{cert: p.server, clientCAs: clientCAs, auth: "require", maxTLS: tls.VersionTLS12},
			workspace.RequestSpec{Identity: "alice", CAs: trustServer, TLSMin: "1.3"}},
		{"10-not-on-allow-list", "the server authenticates bob but authorizes only CN=alice", tlsengine.HTTPUnauthorized,
			scenarioServer{cert: p.server, clientCAs: clientCAs, auth: "require", allowCN: []string{"alice"}},
			workspace.RequestSpec{Identity: "bob", CAs: trustServer}},
	}
	for _, df := range defs {
		port, err := d.start(df.server)
		if err != nil {
			return fmt.Errorf("start scenario %s: %w", df.name, err)
		}
		df.spec.URL = "https://127.0.0.1:" + port + "/"
		df.spec.Timeout = "5s"
		d.Scenarios = append(d.Scenarios, Scenario{Name: df.name, Title: df.title, Expect: df.expect, Spec: df.spec})
	}
	return nil
}
