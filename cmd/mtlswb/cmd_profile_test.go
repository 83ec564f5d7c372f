package main

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/pki"
	"github.com/mtlswb/mtlswb/tlsengine/serve"
	"github.com/mtlswb/mtlswb/tlsengine/tlstest"
	"github.com/mtlswb/mtlswb/workspace"
)

// updateWhich rewrites testdata/which/*.golden. Not -update: the golden
// package owns that flag name and two would panic in one test binary.
var updateWhich = flag.Bool("update-which", false, "rewrite the `which` golden files")

// profileEnv is a workspace with a CA, two identities and no profiles.
func profileEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t)
	e.ok("pki", "ca", "partner-root", "--cn", "Partner Root")
	e.ok("pki", "issue", "joe", "--ca", "partner-root", "--cn", "joe")
	e.ok("pki", "issue", "ann", "--ca", "partner-root", "--cn", "ann")
	return e
}

func TestProfileCommands(t *testing.T) {
	e := profileEnv(t)
	e.ok("profile", "add", "partner", "--host", "*.partner.example,api.partner.example:8443", "--identity", "joe", "--ca", "partner-root", "--timeout", "3s")
	e.ok("profile", "add", "partner-staging", "--host", "*.partner.example", "--identity", "ann", "--env", "staging")

	bad := map[string][]string{
		"tie names the other profile": {"profile", "add", "dup", "--host", "*.Partner.Example.", "--identity", "joe"},
		"scheme in pattern":           {"profile", "add", "x", "--host", "https://api.example/", "--identity", "joe"},
		"wildcard not leftmost":       {"profile", "add", "x", "--host", "api.*.example", "--identity", "joe"},
		"unknown identity":            {"profile", "add", "x", "--host", "x.example", "--identity", "nobody"},
		"unknown CA":                  {"profile", "add", "x", "--host", "x.example", "--identity", "joe", "--ca", "nope"},
		"CA as identity":              {"profile", "add", "x", "--host", "x.example", "--identity", "partner-root"},
		"no host":                     {"profile", "add", "x", "--identity", "joe"},
		"no identity":                 {"profile", "add", "x", "--host", "x.example"},
		"bad name":                    {"profile", "add", "a/b", "--host", "x.example", "--identity", "joe"},
		"name taken":                  {"profile", "add", "partner", "--host", "y.example", "--identity", "joe"},
		"bad version":                 {"profile", "add", "x", "--host", "x.example", "--identity", "joe", "--tls-min", "1.0"},
		"edit into a tie":             {"profile", "edit", "partner-staging", "--env", ""},
		"edit unknown":                {"profile", "edit", "nope", "--timeout", "1s"},
		"edit without flags":          {"profile", "edit", "partner"},
		"env typo":                    {"env", "use", "stagign"},
		"rm unknown":                  {"profile", "rm", "nope"},
	}
	for name, args := range bad {
		t.Run(name, func(t *testing.T) {
			before := e.hash()
			r := e.run(args...)
			if r.code != exitUsage || !strings.Contains(r.stderr, "mtlswb: error:") {
				t.Fatalf("want exit 2 with an error: %s", r)
			}
			if e.hash() != before {
				t.Fatal("the workspace changed")
			}
		})
	}
	if r := e.run("profile", "add", "dup", "--host", "*.partner.example", "--identity", "joe"); !strings.Contains(r.stderr, "profile `partner`") {
		t.Errorf("the tie error does not name the other profile: %s", r)
	}

	r := e.ok("profile", "ls")
	for _, want := range []string{"partner ", "*.partner.example,api.partner.example:8443", "staging (inactive)", "partner-root"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("profile ls lacks %q:\n%s", want, r.stdout)
		}
	}
	var list struct {
		ActiveEnv string `json:"active_env"`
		Profiles  []struct {
			workspace.Profile
			Active bool `json:"active"`
		} `json:"profiles"`
	}
	if err := json.Unmarshal([]byte(e.ok("profile", "ls", "--json").stdout), &list); err != nil || len(list.Profiles) != 2 || list.Profiles[1].Active {
		t.Fatalf("profile ls --json: %v %+v", err, list)
	}

	e.ok("profile", "edit", "partner", "--identity", "ann", "--no-ca", "--servername", "sni.partner.example")
	var p workspace.Profile
	if err := json.Unmarshal([]byte(e.ok("profile", "show", "partner", "--json").stdout), &p); err != nil {
		t.Fatal(err)
	}
	if p.Identity != "ann" || len(p.CAs) != 0 || p.ServerName != "sni.partner.example" || p.Timeout != "3s" || len(p.Hosts) != 2 {
		t.Fatalf("after edit: %+v", p)
	}
	if r := e.ok("profile", "show", "partner-staging"); !strings.Contains(r.stdout, "staging (inactive)") {
		t.Errorf("profile show: %s", r)
	}

	e.ok("env", "use", "staging")
	if r := e.ok("env", "ls"); !strings.Contains(r.stdout, "* staging (1 profile(s))") {
		t.Errorf("env ls: %s", r)
	}
	e.ok("env", "use", "--none")
	if r := e.ok("env", "ls"); !strings.Contains(r.stdout, "no environment is active") {
		t.Errorf("env ls after --none: %s", r)
	}
	e.ok("profile", "rm", "partner-staging")
	if r := e.ok("profile", "ls"); strings.Contains(r.stdout, "partner-staging") {
		t.Errorf("removed profile still listed: %s", r)
	}
}

// TestWhichJSON compares `which --json` with testdata/which/*.golden.
func TestWhichJSON(t *testing.T) {
	e := profileEnv(t)
	e.ok("profile", "add", "partner", "--host", "*.partner.example", "--identity", "joe", "--ca", "partner-root")
	e.ok("profile", "add", "partner-api", "--host", "api.partner.example", "--identity", "joe")
	e.ok("profile", "add", "partner-8443", "--host", "api.partner.example:8443", "--identity", "ann")
	e.ok("profile", "add", "partner-staging", "--host", "*.partner.example", "--identity", "ann", "--env", "staging")
	e.ok("profile", "add", "local", "--host", "localhost:8443", "--identity", "joe")

	tests := map[string]struct {
		args     []string
		wantCode int
	}{
		"exact-host-and-port": {[]string{"https://api.partner.example:8443/v1"}, 0},
		"exact-host":          {[]string{"https://api.partner.example/"}, 0},
		"wildcard":            {[]string{"https://a.b.partner.example/"}, 0},
		"env-overrides":       {[]string{"https://www.partner.example/", "--env", "staging"}, 0},
		"no-match-port":       {[]string{"https://localhost/"}, 1},
		"no-match-apex":       {[]string{"partner.example:443"}, 1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := e.run(append([]string{"which", "--json"}, tc.args...)...)
			if r.code != tc.wantCode {
				t.Fatalf("want exit %d: %s", tc.wantCode, r)
			}
			var sel workspace.Selection
			if err := json.Unmarshal([]byte(r.stdout), &sel); err != nil {
				t.Fatalf("stdout is not one JSON object: %v\n%s", err, r.stdout)
			}
			// Goldens are indented for reading; the CLI prints compact JSON
			// when stdout is not a terminal.
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, []byte(r.stdout), "", "  "); err != nil {
				t.Fatal(err)
			}
			r.stdout = pretty.String()
			path := filepath.Join("..", "..", "testdata", "which", name+".golden")
			if *updateWhich {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(r.stdout), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update-which to create it)", err)
			}
			if !bytes.Equal(want, []byte(r.stdout)) {
				t.Errorf("which --json differs from %s (run with -update-which if intended):\n--- got\n%s", path, r.stdout)
			}
		})
	}
	if r := e.run("which", "https://localhost/"); r.code != exitFailed || !strings.Contains(r.stderr, "no profile matches localhost:443") ||
		!strings.Contains(r.stdout, "the rule is for port 8443, the URL uses port 443") {
		t.Errorf("which without a match must say so plainly and exit 1: %s", r)
	}
	if r := e.run("which", "http://localhost/"); r.code != exitUsage {
		t.Errorf("which http://: %s", r)
	}
}

// mtlsServer is a serve echo server that requires certificates from the
// workspace CA `partner-root`, with its server certificate issued by the
// workspace CA `server-root`.
func mtlsServer(t *testing.T, e *env) string {
	t.Helper()
	srvRoot := mustPair(t)(pki.NewRoot(pki.Spec{CN: "Server Root", IsCA: true}))
	srv := mustPair(t)(srvRoot.Issue(tlstest.ServerSpec("localhost")))
	e.ok("import", "--as", "ca", "--name", "server-root", e.file("server-root.pem", certPEM(srvRoot.Cert)))
	partner := caCert(t, e, "partner-root")
	return tlstest.StartServe(t, serve.Config{Cert: tlstest.TLSCert(srv), ClientCAs: []*x509.Certificate{partner}})
}

// caCert reads a workspace CA's certificate through `export`.
func caCert(t *testing.T, e *env, name string) *x509.Certificate {
	t.Helper()
	out := filepath.Join(e.dir, name+"-export.pem")
	e.ok("export", name, "--out", out)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	certs, err := parsePEMCerts(b)
	if err != nil || len(certs) == 0 {
		t.Fatalf("export %s: %v", name, err)
	}
	return certs[0]
}

func parsePEMCerts(b []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			return out, nil
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
}

func sentCN(t *testing.T, r result) string {
	t.Helper()
	var rep tlsengine.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("not a report: %v\n%s", err, r)
	}
	if rep.TLS.ClientCertSent == nil {
		return ""
	}
	return rep.TLS.ClientCertSent.Subject
}

func TestSendUsesMatchingProfile(t *testing.T) {
	e := profileEnv(t)
	addr := mtlsServer(t, e)
	_, port, _ := strings.Cut(addr, ":")
	url := "https://localhost:" + port + "/"
	e.ok("profile", "add", "local", "--host", "localhost:"+port, "--identity", "joe", "--ca", "server-root")

	r := e.ok("send", "--json", url)
	if got := sentCN(t, r); got != "CN=joe" {
		t.Errorf("profile identity not sent (sent %q): %s", got, r)
	}
	if !strings.Contains(r.stderr, "using profile local (identity joe) for localhost:"+port) {
		t.Errorf("send does not say which profile it used: %s", r)
	}
	// Explicit flags override the profile; the profile's trust still applies.
	r = e.ok("send", "--json", "--identity", "ann", url)
	if got := sentCN(t, r); got != "CN=ann" {
		t.Errorf("--identity did not override the profile (sent %q): %s", got, r)
	}
	r = e.ok("probe", "--json", "localhost:"+port)
	if got := sentCN(t, r); got != "CN=joe" {
		t.Errorf("probe ignores the profile (sent %q): %s", got, r)
	}
	// --no-profile: nothing is sent and nothing is trusted, so it fails,
	// and says nothing about profiles.
	r = e.run("send", "--json", "--no-profile", "--ca", "server-root", url)
	if r.code != exitFailed || sentCN(t, r) != "" || strings.Contains(r.stderr, "using profile") {
		t.Errorf("--no-profile: %s", r)
	}
	// The host alone does not match a host:port rule: no profile, said by which.
	if r := e.run("which", "https://localhost/"); r.code != exitFailed {
		t.Errorf("which https://localhost/: %s", r)
	}
	// A profile whose identity was removed is refused at send time with a
	// way out, not silently skipped.
	e.ok("profile", "add", "other", "--host", "127.0.0.1", "--identity", "ann")
	if r := e.run("rm", "ann"); r.code != exitUsage || !strings.Contains(r.stderr, "profile `other`") {
		t.Errorf("rm of an identity a profile uses must be refused, naming the profile: %s", r)
	}
	e.ok("rm", "ann", "--force")
	r = e.run("send", "https://127.0.0.1:"+port+"/")
	if r.code != exitUsage || !strings.Contains(r.stderr, "profile edit other --identity NAME") {
		t.Errorf("dangling profile identity: %s", r)
	}
}

func TestIdentityAuto(t *testing.T) {
	e := newEnv(t)
	must := mustPair(t)
	rootA := must(pki.NewRoot(pki.Spec{CN: "Root A", IsCA: true}))
	rootB := must(pki.NewRoot(pki.Spec{CN: "Root B", IsCA: true}))
	rootC := must(pki.NewRoot(pki.Spec{CN: "Root C", IsCA: true}))
	srvRoot := must(pki.NewRoot(pki.Spec{CN: "Server Root", IsCA: true}))
	srv := must(srvRoot.Issue(tlstest.ServerSpec("localhost")))
	alice := must(rootA.Issue(pki.Spec{CN: "alice", Client: true}))
	bob := must(rootB.Issue(pki.Spec{CN: "bob", Client: true}))
	// Issued under A but for servers only: auto must pass over it.
	alb := must(rootA.Issue(pki.Spec{CN: "alice-server", Server: true}))
	for name, p := range map[string]pki.Pair{"alice": alice, "bob": bob, "alice-server": alb} {
		e.ok("import", "--name", name, e.file(name+".pem", certPEM(p.Cert)), e.file(name+".key", keyPEM(t, p)))
	}
	e.ok("import", "--as", "ca", "--name", "server-root", e.file("srv-root.pem", certPEM(srvRoot.Cert)))
	srvCert := e.file("srv.pem", certPEM(srv.Cert))
	srvKey := e.file("srv.key", keyPEM(t, srv))
	start := func(cas ...pki.Pair) string {
		var b []byte
		for _, ca := range cas {
			b = append(b, certPEM(ca.Cert)...)
		}
		caFile := e.file(cas[0].Cert.Subject.CommonName+"-list.pem", b)
		return tlstest.StartOpenSSL(t, "-cert", srvCert, "-key", srvKey, "-Verify", "1", "-CAfile", caFile, "-www")
	}

	tests := map[string]struct {
		cas      []pki.Pair
		wantCode int
		wantSent string
		wantErr  []string
	}{
		"server accepts A": {cas: []pki.Pair{rootA}, wantSent: "CN=alice",
			wantErr: []string{"fits alice", "no  alice-server", "no clientAuth", "no  bob", "Root A"}},
		"server accepts B": {cas: []pki.Pair{rootB}, wantSent: "CN=bob", wantErr: []string{"fits bob", "chose identity `bob`"}},
		"ambiguous":        {cas: []pki.Pair{rootA, rootB}, wantCode: exitUsage, wantErr: []string{"2 identities fit", "`alice`, `bob`", "--identity NAME"}},
		"none fits":        {cas: []pki.Pair{rootC}, wantCode: exitFailed, wantErr: []string{"none of the 3 identities fits", "Root C"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			addr := start(tc.cas...)
			_, port, _ := strings.Cut(addr, ":")
			r := e.run("probe", "--json", "--identity", "auto", "--ca", "server-root", "localhost:"+port)
			if r.code != tc.wantCode {
				t.Fatalf("want exit %d: %s", tc.wantCode, r)
			}
			for _, want := range tc.wantErr {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr lacks %q: %s", want, r)
				}
			}
			if tc.wantSent != "" {
				if got := sentCN(t, r); got != tc.wantSent {
					t.Errorf("sent %q, want %q: %s", got, tc.wantSent, r)
				}
			} else if r.stdout != "" {
				t.Errorf("nothing should reach stdout when auto refuses: %s", r)
			}
		})
	}
}

func TestCollectionExportImport(t *testing.T) {
	e := profileEnv(t)
	e.ok("profile", "add", "partner", "--host", "*.partner.example", "--identity", "joe", "--ca", "partner-root", "--env", "prod")
	e.ok("profile", "add", "unrelated", "--host", "other.example", "--identity", "ann")
	spec, _ := json.Marshal(workspace.RequestSpec{URL: "https://api.partner.example/orders?token=s3cr3t", Headers: []string{"Authorization: Bearer tok3n"}})
	s, err := workspace.Open(e.ws)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveRequest(workspace.SavedRequest{Name: "orders", Spec: spec}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(e.dir, "partner.json")
	r := e.ok("collection", "export", "--out", out)
	if !strings.Contains(r.stdout, "1 request(s) and 1 profile(s)") || !strings.Contains(r.stderr, "redacted") {
		t.Errorf("export: %s", r)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"s3cr3t", "tok3n", "PRIVATE", "BEGIN", testPassphrase, e.dir, e.ws, "unrelated"} {
		if strings.Contains(string(b), secret) {
			t.Errorf("the collection holds %q:\n%s", secret, b)
		}
	}
	if r := e.run("collection", "export", "--out", out); r.code != exitUsage {
		t.Errorf("export over an existing file without --force: %s", r)
	}

	// Someone else: their identity is my-joe and they have no partner-root.
	o := newEnv(t)
	o.ok("pki", "ca", "mine", "--cn", "Mine")
	o.ok("pki", "issue", "my-joe", "--ca", "mine", "--cn", "me")
	before := o.hash()
	if r := o.run("collection", "import", out, "--bind", "jeo=my-joe"); r.code != exitUsage || o.hash() != before {
		t.Errorf("a binding the collection does not use must be refused, unchanged: %s", r)
	}
	if r := o.run("collection", "import", e.file("junk.json", []byte("{]"))); r.code != exitUsage {
		t.Errorf("junk: %s", r)
	}
	r = o.ok("collection", "import", out, "--bind", "joe=my-joe")
	if !strings.Contains(r.stderr, "CA `partner-root` is not in this workspace") {
		t.Errorf("import does not say what is unbound: %s", r)
	}
	if r := o.ok("profile", "ls"); !strings.Contains(r.stdout, "my-joe") || !strings.Contains(r.stdout, "UNBOUND (partner-root)") {
		t.Errorf("imported profile: %s", r)
	}
	o.ok("env", "use", "prod")
	if r := o.run("send", "https://api.partner.example/"); r.code != exitUsage || !strings.Contains(r.stderr, "not bound yet") {
		t.Errorf("sending through an unbound profile must be refused plainly: %s", r)
	}
	o.ok("profile", "edit", "partner", "--ca", "mine")
	if r := o.ok("which", "https://api.partner.example/"); strings.Contains(r.stdout, "problem") {
		t.Errorf("still unusable after binding: %s", r)
	}
}

// TestReadmeProfiles runs the README's profile transcript in a fresh
// workspace, so the documentation cannot drift from what mtlswb prints.
func TestReadmeProfiles(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	steps := readTranscript(t, string(readme), "## Profiles")
	e := newEnv(t)
	t.Chdir(e.dir) // the transcript writes partner.json and friend.db beside it
	for _, st := range steps {
		var out bytes.Buffer
		// One buffer for both streams keeps their order, as a terminal shows it.
		code := runEnv(t.Context(), append([]string{"--workspace", e.ws}, st.args...), strings.NewReader(""), &out, &out,
			func(k string) string { return e.vars[k] })
		if code != st.wantCode {
			t.Fatalf("README line %d, %s: exit %d, want %d\n%s", st.line, st.raw, code, st.wantCode, out.String())
		}
		if want := strings.Join(st.want, "\n"); want != "" && trimLines(out.String()) != trimLines(want) {
			t.Errorf("README line %d, %s prints:\n%s\nthe README says:\n%s", st.line, st.raw, out.String(), want)
		}
	}
}

func trimLines(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}
