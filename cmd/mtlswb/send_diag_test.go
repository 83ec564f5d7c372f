package main

import (
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/pki"
	"github.com/mtlswb/mtlswb/tlsengine/realserver"
	"github.com/mtlswb/mtlswb/tlsengine/tlstest"
	"github.com/mtlswb/mtlswb/workspace"
)

// TestDialAddr: --connect-to and --resolve, in mtlswb's and curl's forms,
// become routes that send the URL's address where the flags say.
func TestDialAddr(t *testing.T) {
	cases := map[string]struct {
		connectTo string
		resolve   []string
		url       string
		want      string
		wantErr   bool
	}{
		"none":                   {url: "https://api.example/", want: ""},
		"connect-to host:port":   {connectTo: "127.0.0.1:8443", url: "https://api.example/", want: "127.0.0.1:8443"},
		"curl connect-to":        {connectTo: "api.example:443:127.0.0.1:8443", url: "https://api.example/", want: "127.0.0.1:8443"},
		"curl connect-to, other": {connectTo: "other.example:443:127.0.0.1:8443", url: "https://api.example/", want: ""},
		"curl connect-to, any":   {connectTo: "::127.0.0.1:", url: "https://api.example:9443/", want: "127.0.0.1:9443"},
		"resolve":                {resolve: []string{"api.example:443:127.0.0.1"}, url: "https://api.example/", want: "127.0.0.1:443"},
		"resolve ipv6":           {resolve: []string{"api.example:443:[::1]"}, url: "https://api.example/", want: "[::1]:443"},
		"resolve, other port":    {resolve: []string{"api.example:8443:127.0.0.1"}, url: "https://api.example/", want: ""},
		"resolve, malformed":     {resolve: []string{"api.example:127.0.0.1"}, url: "https://api.example/", wantErr: true},
		"connect-to, malformed":  {connectTo: "127.0.0.1", url: "https://api.example/", wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			d := &diagFlags{connectTo: tc.connectTo, resolve: tc.resolve}
			routes, err := d.routes(tc.url)
			tgt, _ := workspace.ParseTarget(tc.url)
			got := ""
			for _, r := range routes {
				if to, ok := r.Apply(net.JoinHostPort(tgt.Host, fmt.Sprint(tgt.Port))); ok {
					got = to
					break
				}
			}
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("routes %+v, %v: dial %q; want %q (error %t)", routes, err, got, tc.want, tc.wantErr)
			}
		})
	}
}

// TestProbeUnjudged: a probe whose handshake completes although the server
// took no certificate exits 3 and says so; the same probe with a
// certificate the server requires exits 0.
func TestProbeUnjudged(t *testing.T) {
	e := &env{t: t, dir: t.TempDir(), vars: map[string]string{"XDG_CACHE_HOME": t.TempDir()}}
	e.ws = e.dir + "/none.db"
	p := tlstest.NewPKI(t)
	server := []string{"--cert", e.file("s.pem", certPEM(p.Server.Cert)), "--key", e.file("s.key", keyPEM(t, p.Server)),
		"--ca", e.file("ca.pem", certPEM(p.Root.Cert))}
	optional, _ := startServeCmd(t, e, append(server, "--client-auth", "verify-if-given")...)
	required, _ := startServeCmd(t, e, server...)
	ca := e.file("root.pem", certPEM(p.Root.Cert))
	client := []string{"--cert", e.file("c.pem", certPEM(p.Client.Cert)), "--key", e.file("c.key", keyPEM(t, p.Client))}

	r := e.run("probe", "--ca", ca, "--no-profile", optional)
	if r.code != exitUnjudged || !strings.Contains(r.stdout, "NOT JUDGED") || !strings.Contains(r.stdout, "none was sent") {
		t.Errorf("probe without a certificate of an optional server: want exit 3 and NOT JUDGED\n%s", r)
	}
	r = e.run("probe", "--ca", ca, "--no-profile", "--json", optional)
	var rep tlsengine.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != exitUnjudged || rep.Unjudged == nil {
		t.Errorf("probe --json: want exit 3 and an unjudged object (%v)\n%s", err, r)
	}
	if r := e.run(append([]string{"probe", "--ca", ca, "--no-profile", required}, client...)...); r.code != 0 || !strings.Contains(r.stdout, "OK") {
		t.Errorf("probe with a good certificate: want exit 0\n%s", r)
	}
}

// TestSendCRLAndConnectTo: --crl reports the identity's revocation status
// from a file; --connect-to reaches the server under another name.
func TestSendCRLAndConnectTo(t *testing.T) {
	e := &env{t: t, dir: t.TempDir(), vars: map[string]string{"XDG_CACHE_HOME": t.TempDir()}}
	e.ws = e.dir + "/none.db"
	p := tlstest.NewPKI(t)
	revoked := mustPair(t)(p.Root.Issue(pki.Spec{CN: "revoked", Client: true}))
	crl := e.file("crl.pem", pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: realserver.NewCRL(t, p.Root, revoked.Cert)}))
	addr, _ := startServeCmd(t, e, "--cert", e.file("s.pem", certPEM(p.Server.Cert)), "--key", e.file("s.key", keyPEM(t, p.Server)),
		"--ca", e.file("ca.pem", certPEM(p.Root.Cert)))
	ca := e.file("root.pem", certPEM(p.Root.Cert))
	send := func(pair pki.Pair, extra ...string) result {
		args := []string{"send", "--ca", ca, "--no-profile", "--cert", e.file(pair.Cert.Subject.CommonName+".pem", certPEM(pair.Cert)),
			"--key", e.file(pair.Cert.Subject.CommonName+".key", keyPEM(t, pair))}
		return e.run(append(args, extra...)...)
	}
	// The echo server itself checks no CRL: the request succeeds, and
	// the report says what the CRL says.
	r := send(revoked, "--crl", crl, "https://"+addr+"/")
	if r.code != 0 || !strings.Contains(r.stdout, "revocation revoked at") {
		t.Errorf("send --crl with a revoked identity: want its status\n%s", r)
	}
	r = send(p.Client, "--crl", crl, "https://"+addr+"/")
	if r.code != 0 || !strings.Contains(r.stdout, "revocation not revoked, says the CRL") {
		t.Errorf("send --crl with a good identity: want its status\n%s", r)
	}
	if r := send(p.Client, "--crl", e.dir+"/missing.crl", "https://"+addr+"/"); r.code != exitUsage || !strings.Contains(r.stderr, "CRL file") {
		t.Errorf("a missing CRL file: want a usage error\n%s", r)
	}
	_, port, _ := strings.Cut(addr, ":")
	if r := send(p.Client, "--connect-to", addr, "https://localhost:1/"); r.code != 0 {
		t.Errorf("--connect-to %s: want the request to reach the server\n%s", addr, r)
	}
	if r := send(p.Client, "--resolve", "localhost:"+port+":127.0.0.1", "https://localhost:"+port+"/"); r.code != 0 {
		t.Errorf("--resolve: want the request to reach the server\n%s", r)
	}
}

// TestChainAdd: chain add appends the intermediate that completes an
// identity's chain and refuses what cannot continue it, changing nothing.
func TestChainAdd(t *testing.T) {
	e := newEnv(t)
	root := mustPair(t)(pki.NewRoot(pki.Spec{CN: "Chain Root", IsCA: true}))
	inter := mustPair(t)(root.Issue(pki.Spec{CN: "Chain Intermediate", IsCA: true}))
	leaf := mustPair(t)(inter.Issue(pki.Spec{CN: "joe", Client: true}))
	e.ok("import", "--name", "joe", e.file("joe.pem", append(certPEM(leaf.Cert), keyPEM(t, leaf)...)))
	e.ok("import", "--name", "inter", e.file("inter.pem", certPEM(inter.Cert)))
	e.ok("import", "--name", "root", e.file("root.pem", certPEM(root.Cert)))
	before := e.hash()
	if r := e.run("chain", "add", "joe", "root"); r.code != exitUsage || !strings.Contains(r.stderr, "it is a root") {
		t.Errorf("chain add of a root: want a refusal\n%s", r)
	}
	if e.hash() != before {
		t.Error("a refused chain add changed the workspace")
	}
	r := e.ok("chain", "add", "joe", "inter")
	if !strings.Contains(r.stdout, "identity joe now sends CN=joe ← CN=Chain Intermediate") {
		t.Errorf("chain add output:\n%s", r)
	}
}

// TestShowRevocation: show reports an identity's revocation status when
// asked with --crl or when its certificate names a CRL, and says nothing
// otherwise.
func TestShowRevocation(t *testing.T) {
	e := newEnv(t)
	e.vars["XDG_CACHE_HOME"] = t.TempDir()
	root := mustPair(t)(pki.NewRoot(pki.Spec{CN: "Show Root", IsCA: true}))
	leaf := mustPair(t)(root.Issue(pki.Spec{CN: "joe", Client: true}))
	e.ok("import", "--name", "joe", e.file("joe.pem", append(certPEM(leaf.Cert), keyPEM(t, leaf)...)))
	e.ok("import", "--name", "root", e.file("root.pem", certPEM(root.Cert)))
	crl := e.file("crl.pem", pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: realserver.NewCRL(t, root, leaf.Cert)}))
	if r := e.ok("show", "joe"); strings.Contains(r.stdout, "\n  Revocation ") {
		t.Errorf("show without a CRL to read prints a revocation row:\n%s", r)
	}
	if r := e.ok("show", "joe", "--crl", crl); !strings.Contains(r.stdout, "\n  Revocation ") || !strings.Contains(r.stdout, "revoked at") {
		t.Errorf("show --crl: want the revocation row\n%s", r)
	}
	var res showResult
	r := e.ok("show", "joe", "--crl", crl, "--json")
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || res.Revocation == nil || res.Revocation.State != "revoked" {
		t.Errorf("show --json --crl: %v\n%s", err, r)
	}
}

// TestReachTakesRoutes: before asking for a passphrase, send checks that the
// server can be reached at the address the routes give, not the URL's.
func TestReachTakesRoutes(t *testing.T) {
	e := newEnv(t)
	e.vars["XDG_CACHE_HOME"] = t.TempDir()
	e.ok("pki", "ca", "root", "--cn", "Reach Root")
	e.ok("pki", "issue", "joe", "--ca", "root", "--cn", "joe")
	p := tlstest.NewPKI(t)
	addr, _ := startServeCmd(t, e, "--cert", e.file("s.pem", certPEM(p.Server.Cert)), "--key", e.file("s.key", keyPEM(t, p.Server)),
		"--ca", e.file("ca.pem", certPEM(p.Root.Cert)))
	_, port, _ := net.SplitHostPort(addr)
	delete(e.vars, "MTLSWB_PASSPHRASE")

	// Reachable through the route: the passphrase is asked for (and there
	// is no terminal to ask on).
	r := e.run("send", "--no-profile", "--identity", "joe", "--connect-to", addr, "https://localhost:1/")
	if r.code != exitUsage || !strings.Contains(r.stderr, "no terminal to ask on") || strings.Contains(r.stdout, "connection-refused") {
		t.Errorf("--connect-to a live server: want the passphrase asked for\n%s", r)
	}
	// Unreachable through the route: the report, and no passphrase.
	r = e.run("send", "--no-profile", "--identity", "joe", "--connect-to", "127.0.0.1:1", "https://localhost:"+port+"/")
	if !strings.Contains(r.stdout, "connection-refused") || strings.Contains(r.stderr, "no terminal") {
		t.Errorf("--connect-to a closed port: want the refusal without a passphrase\n%s", r)
	}
}
