package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/mtlswb/mtlswb/tlsengine/pki"
	"github.com/mtlswb/mtlswb/workspace"
)

func TestMain(m *testing.M) {
	// Workspaces made by these tests use a cheap KDF; the default costs
	// 75 ms and 64 MiB per unlock, and the tests unlock hundreds of times.
	restore := workspace.AllowWeakKDFForTests()
	code := m.Run()
	restore()
	os.Exit(code)
}

// result is one command's outcome.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// env is a test's environment: a workspace path and variables.
type env struct {
	t    *testing.T
	dir  string
	ws   string
	vars map[string]string
}

const testPassphrase = "correct horse battery staple"

// newEnv makes a temp dir and an initialized, encrypted workspace in it.
func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	e := &env{t: t, dir: dir, ws: filepath.Join(dir, "ws", "workspace.db"), vars: map[string]string{
		"MTLSWB_PASSPHRASE": testPassphrase,
	}}
	e.ok("init")
	return e
}

func (e *env) run(args ...string) result {
	e.t.Helper()
	var out, errOut bytes.Buffer
	args = append([]string{"--workspace", e.ws}, args...)
	code := runEnv(context.Background(), args, strings.NewReader(""), &out, &errOut, func(k string) string { return e.vars[k] })
	return result{code, out.String(), errOut.String()}
}

// ok runs a command that must succeed.
func (e *env) ok(args ...string) result {
	e.t.Helper()
	r := e.run(args...)
	if r.code != 0 {
		e.t.Fatalf("mtlswb %s: %s", strings.Join(args, " "), r)
	}
	return r
}

// file writes data into the test dir and returns its path.
func (e *env) file(name string, data []byte) string {
	e.t.Helper()
	p := filepath.Join(e.dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o600); err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *env) hash() [32]byte {
	e.t.Helper()
	b, err := os.ReadFile(e.ws)
	if err != nil {
		e.t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// list returns name -> sha256 from `ls --json`.
func (e *env) list() map[string]string {
	e.t.Helper()
	var items []listItem
	r := e.ok("ls", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &items); err != nil {
		e.t.Fatalf("ls --json is not a JSON array: %v\n%s", err, r.stdout)
	}
	m := map[string]string{}
	for _, it := range items {
		m[it.Name] = it.SHA256
	}
	return m
}

func certPEM(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

func keyPEM(t *testing.T, p pki.Pair) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(p.Key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

func fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return fmt.Sprintf("%x", sum)
}

func mustPair(t *testing.T) func(pki.Pair, error) pki.Pair {
	return func(p pki.Pair, err error) pki.Pair {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
}

func openssl(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("openssl", args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func TestImportPairChainAndCAs(t *testing.T) {
	e := newEnv(t)
	root := mustPair(t)(pki.NewRoot(pki.Spec{CN: "Partner Root", IsCA: true, MaxPathLen: 1}))
	inter := mustPair(t)(root.Issue(pki.Spec{CN: "Partner Issuing", IsCA: true}))
	joe := mustPair(t)(inter.Issue(pki.Spec{CN: "joe", Client: true}))
	// Key first, then root, leaf and intermediate, with text around them:
	// import must not care about order.
	bundle := append([]byte("key:\n"), keyPEM(t, joe)...)
	bundle = append(bundle, []byte("some text\n")...)
	bundle = append(bundle, certPEM(root.Cert)...)
	bundle = append(bundle, certPEM(joe.Cert)...)
	bundle = append(bundle, certPEM(inter.Cert)...)
	r := e.ok("import", "--name", "partner-joe", e.file("bundle.pem", bundle))
	if !strings.Contains(r.stdout, "imported identity partner-joe") {
		t.Errorf("import output: %s", r)
	}
	got := e.list()
	if got["partner-joe"] != fingerprint(joe.Cert) {
		t.Errorf("ls = %v, want partner-joe with the leaf's fingerprint", got)
	}
	var shown showResult
	if err := json.Unmarshal([]byte(e.ok("show", "partner-joe", "--json").stdout), &shown); err != nil {
		t.Fatal(err)
	}
	if len(shown.Chain) != 2 || !strings.Contains(shown.Chain[0].Subject, "Partner Issuing") || !strings.Contains(shown.Chain[1].Subject, "Partner Root") {
		t.Errorf("chain not ordered leaf -> root: %+v", shown.Chain)
	}
	// The root that ends the chain became a CA in the same import (issue
	// 11: it used to need an import of its own), and said so.
	if got := e.list(); got["partner-root"] != fingerprint(root.Cert) {
		t.Errorf("the chain's root is not listed as a CA: %v", got)
	}
	if !strings.Contains(r.stderr, `the root "Partner Root" that ends the chain of "joe" is stored as a CA too`) {
		t.Errorf("import did not say it stored the root: %s", r)
	}
	// Importing the root again is refused as a duplicate, naming the CA.
	if r := e.run("import", "--as", "ca", e.file("root.pem", certPEM(root.Cert))); r.code != 2 || !strings.Contains(r.stderr, "partner-root") {
		t.Errorf("re-importing the root: %s", r)
	}
	// The identity's chain verifies against the workspace.
	if err := json.Unmarshal([]byte(e.ok("show", "--json", "partner-joe").stdout), &shown); err != nil {
		t.Fatal(err)
	}
	if !shown.Verifies {
		t.Errorf("chain should verify against the imported root: %s", shown.VerifyNote)
	}
}

func TestImportOpenSSLFormats(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	openssl(t, dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
		"-keyout", "key.pem", "-out", "cert.pem", "-subj", "/CN=openssl-client", "-days", "30",
		"-addext", "extendedKeyUsage=clientAuth")
	openssl(t, dir, "pkcs12", "-export", "-legacy", "-in", "cert.pem", "-inkey", "key.pem", "-out", "legacy.p12", "-passout", "pass:p12pass")
	openssl(t, dir, "pkcs12", "-export", "-in", "cert.pem", "-inkey", "key.pem", "-out", "modern.p12", "-passout", "pass:p12pass")
	openssl(t, dir, "pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", "key.pem", "-out", "key.enc.pem", "-passout", "pass:p12pass")

	e.vars["MTLSWB_IMPORT_PASSPHRASE"] = "p12pass"
	e.ok("import", "--name", "legacy", filepath.Join(dir, "legacy.p12"))
	// The same certificate again is spotted as a re-import, not duplicated.
	r := e.run("import", "--name", "modern", filepath.Join(dir, "modern.p12"))
	if r.code != exitUsage || !strings.Contains(r.stderr, "legacy") {
		t.Errorf("re-import should be refused naming the existing record: %s", r)
	}
	e.ok("rm", "legacy")
	e.ok("import", "--name", "modern", filepath.Join(dir, "modern.p12"))
	e.ok("rm", "modern")
	e.ok("import", "--name", "pair", filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.enc.pem"))
	if got := e.list(); len(got) != 1 || got["pair"] == "" {
		t.Errorf("ls = %v, want the pair", got)
	}
}

func TestRoundTripExportImport(t *testing.T) {
	e := newEnv(t)
	e.ok("pki", "ca", "dev-root", "--cn", "Dev Root")
	e.ok("pki", "ca", "dev-issuing", "--cn", "Dev Issuing", "--parent", "dev-root")
	e.ok("pki", "issue", "joe", "--ca", "dev-issuing", "--cn", "joe", "--key", "ed25519")
	e.ok("pki", "issue", "rsa-joe", "--ca", "dev-issuing", "--cn", "rsa joe", "--key", "rsa-2048")
	want := e.list()

	e.vars["MTLSWB_EXPORT_PASSPHRASE"] = "export-pass"
	pemOut := filepath.Join(e.dir, "joe.pem")
	p12Out := filepath.Join(e.dir, "rsa-joe.p12")
	legacyOut := filepath.Join(e.dir, "rsa-joe-legacy.p12")
	e.ok("export", "joe", "--out", pemOut)
	e.ok("export", "rsa-joe", "--format", "p12", "--out", p12Out)
	e.ok("export", "rsa-joe", "--format", "p12", "--legacy", "--out", legacyOut)
	if b, _ := os.ReadFile(pemOut); !bytes.Contains(b, []byte("ENCRYPTED PRIVATE KEY")) {
		t.Errorf("exported PEM key is not encrypted:\n%s", b)
	}
	// Exports never overwrite silently.
	if r := e.run("export", "joe", "--out", pemOut); r.code != exitUsage || !strings.Contains(r.stderr, "--force") {
		t.Errorf("export over an existing file: %s", r)
	}
	// openssl reads what we wrote.
	openssl(t, e.dir, "pkcs12", "-in", p12Out, "-passin", "pass:export-pass", "-nokeys", "-out", filepath.Join(e.dir, "check.pem"))

	fresh := &env{t: t, dir: e.dir, ws: filepath.Join(t.TempDir(), "fresh.db"), vars: map[string]string{
		"MTLSWB_PASSPHRASE": "another", "MTLSWB_IMPORT_PASSPHRASE": "export-pass",
	}}
	fresh.ok("init")
	fresh.ok("import", "--name", "joe", pemOut)
	fresh.ok("import", "--name", "rsa-joe", p12Out)
	got := fresh.list()
	for _, name := range []string{"joe", "rsa-joe"} {
		if got[name] != want[name] {
			t.Errorf("%s: fingerprint after round trip %q, want %q", name, got[name], want[name])
		}
	}
	legacyEnv := &env{t: t, dir: e.dir, ws: filepath.Join(t.TempDir(), "legacy.db"), vars: fresh.vars}
	legacyEnv.ok("init")
	legacyEnv.ok("import", "--name", "rsa-joe", legacyOut)
	if legacyEnv.list()["rsa-joe"] != want["rsa-joe"] {
		t.Error("legacy p12 round trip changed the fingerprint")
	}
	// The exported key still signs for the same certificate: serve with it.
	if r := fresh.ok("show", "rsa-joe", "--json"); !strings.Contains(r.stdout, `"has_key":true`) {
		t.Errorf("imported identity has no key: %s", r.stdout)
	}
}

// TestBadInputLeavesWorkspaceUnchanged: every bad input gets one clear
// message naming the problem, exit 2, and the file byte-for-byte as before.
func TestBadInputLeavesWorkspaceUnchanged(t *testing.T) {
	e := newEnv(t)
	root := mustPair(t)(pki.NewRoot(pki.Spec{CN: "Root", IsCA: true}))
	joe := mustPair(t)(root.Issue(pki.Spec{CN: "joe", Client: true}))
	other := mustPair(t)(root.Issue(pki.Spec{CN: "other", Client: true}))
	e.ok("import", "--name", "joe", e.file("joe.pem", append(certPEM(joe.Cert), keyPEM(t, joe)...)))
	dir := t.TempDir()
	openssl(t, dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
		"-keyout", "key.pem", "-out", "cert.pem", "-subj", "/CN=p12", "-days", "30")
	openssl(t, dir, "pkcs12", "-export", "-in", "cert.pem", "-inkey", "key.pem", "-out", "x.p12", "-passout", "pass:right")
	p12, _ := os.ReadFile(filepath.Join(dir, "x.p12"))
	full := append(certPEM(other.Cert), keyPEM(t, other)...)

	cases := map[string]struct {
		args []string
		vars map[string]string
		want string // in stderr
	}{
		"key matching no certificate":    {[]string{"import", e.file("lone-key.pem", keyPEM(t, other))}, nil, "lone-key.pem"},
		"key with the wrong certificate": {[]string{"import", e.file("mismatch.pem", append(certPEM(joe.Cert), keyPEM(t, other)...))}, nil, "mismatch.pem"},
		"wrong file passphrase":          {[]string{"import", e.file("x.p12", p12)}, map[string]string{"MTLSWB_IMPORT_PASSPHRASE": "wrong"}, "x.p12"},
		"no file passphrase":             {[]string{"import", e.file("y.p12", p12)}, nil, "MTLSWB_IMPORT_PASSPHRASE"},
		"truncated PEM":                  {[]string{"import", e.file("trunc.pem", full[:len(full)/2])}, nil, "trunc.pem"},
		"truncated p12":                  {[]string{"import", e.file("trunc.p12", p12[:len(p12)/2])}, map[string]string{"MTLSWB_IMPORT_PASSPHRASE": "right"}, "trunc.p12"},
		"garbage":                        {[]string{"import", e.file("garbage.bin", []byte("this is not a certificate\x00\x01\x02"))}, nil, "garbage.bin"},
		"empty file":                     {[]string{"import", e.file("empty.pem", nil)}, nil, "empty.pem"},
		"file over 10 MiB":               {[]string{"import", e.file("huge.pem", bytes.Repeat([]byte("A"), 10<<20+1))}, nil, "huge.pem"},
		"name already taken":             {[]string{"import", "--name", "joe", e.file("other.pem", full)}, nil, "joe"},
		"missing file":                   {[]string{"import", filepath.Join(e.dir, "nope.pem")}, nil, "nope.pem"},
		"wrong workspace passphrase":     {[]string{"import", e.file("other2.pem", full)}, map[string]string{"MTLSWB_PASSPHRASE": "wrong"}, "wrong passphrase"},
		"one bad file among good ones":   {[]string{"import", e.file("good.pem", full), e.file("bad.pem", []byte("nope"))}, nil, "bad.pem"},
		"unknown name to rm":             {[]string{"rm", "nobody"}, nil, "nobody"},
		"unknown CA to issue from":       {[]string{"pki", "issue", "x", "--ca", "nobody", "--cn", "x"}, nil, "nobody"},
		"bad key type":                   {[]string{"pki", "ca", "x", "--cn", "x", "--key", "dsa"}, nil, "dsa"},
		"usage: missing argument":        {[]string{"show"}, nil, "NAME"},
		"usage: unknown flag":            {[]string{"ls", "--frobnicate"}, nil, "frobnicate"},
	}
	names := make([]string, 0, len(cases))
	for name := range cases {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		tc := cases[name]
		t.Run(name, func(t *testing.T) {
			before := e.hash()
			saved := map[string]string{}
			for k, v := range e.vars {
				saved[k] = v
			}
			for k, v := range tc.vars {
				e.vars[k] = v
			}
			r := e.run(tc.args...)
			e.vars = saved
			if r.code != exitUsage {
				t.Errorf("exit code %d, want %d\n%s", r.code, exitUsage, r)
			}
			if !strings.Contains(r.stderr, tc.want) {
				t.Errorf("stderr does not mention %q:\n%s", tc.want, r.stderr)
			}
			if n := strings.Count(strings.TrimSpace(r.stderr), "mtlswb: error:"); n != 1 {
				t.Errorf("want exactly one error line, got %d:\n%s", n, r.stderr)
			}
			if e.hash() != before {
				t.Error("the workspace file changed")
			}
		})
	}
}

func TestPrivateKeyNeverStoredInClear(t *testing.T) {
	e := newEnv(t)
	root := mustPair(t)(pki.NewRoot(pki.Spec{CN: "Root", IsCA: true}))
	for _, kt := range []pki.KeyType{pki.ECP256, pki.RSA2048, pki.Ed25519} {
		p := mustPair(t)(root.Issue(pki.Spec{CN: "k-" + string(kt), Client: true, Key: kt}))
		e.ok("import", e.file(string(kt)+".pem", append(certPEM(p.Cert), keyPEM(t, p)...)))
		der, _ := x509.MarshalPKCS8PrivateKey(p.Key)
		db, err := os.ReadFile(e.ws)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(db, der) {
			t.Errorf("%s: the PKCS#8 DER of the key is in the workspace file", kt)
		}
		// The part that matters most: the private scalar / key material.
		if bytes.Contains(db, der[len(der)-32:]) {
			t.Errorf("%s: the key's last 32 bytes are in the workspace file", kt)
		}
	}
}

func TestFlagsAfterPositionals(t *testing.T) {
	e := newEnv(t)
	e.ok("pki", "ca", "root", "--cn", "Root")
	r := e.ok("show", "root", "--json")
	if !json.Valid([]byte(r.stdout)) {
		t.Errorf("show root --json did not print JSON:\n%s", r.stdout)
	}
	r = e.ok("ls")
	if !strings.Contains(r.stdout, "root") || json.Valid([]byte(r.stdout)) {
		t.Errorf("ls printed:\n%s", r.stdout)
	}
	// "--" ends the flags.
	if r := e.run("show", "--", "--json"); r.code != exitUsage || !strings.Contains(r.stderr, "--json") {
		t.Errorf("show -- --json should look up a record named --json: %s", r)
	}
}

func TestHostileCertificateTextIsSanitized(t *testing.T) {
	e := newEnv(t)
	evil := mustPair(t)(pki.NewRoot(pki.Spec{CN: "evil\x1b]52;c;ZXZpbA==\x07\x1b[2J\u009b6n", IsCA: true}))
	e.ok("import", "--as", "ca", "--name", "evil", e.file("evil.pem", certPEM(evil.Cert)))
	for _, args := range [][]string{{"ls"}, {"ls", "--json"}, {"show", "evil"}, {"show", "evil", "--json"}} {
		r := e.ok(args...)
		out := r.stdout + r.stderr
		if strings.ContainsRune(out, 0x1b) || strings.ContainsRune(out, 0x9b) || strings.Contains(out, `\u001b`) {
			t.Errorf("mtlswb %s printed an escape sequence:\n%q", strings.Join(args, " "), out)
		}
		if !strings.Contains(out, "^[]52") && !strings.Contains(args[0], "ls") {
			t.Errorf("mtlswb %s does not show the escape visibly:\n%s", strings.Join(args, " "), out)
		}
	}
}

func TestRemoveRefusesCAInUse(t *testing.T) {
	e := newEnv(t)
	e.ok("pki", "ca", "root", "--cn", "Root")
	e.ok("pki", "issue", "joe", "--ca", "root", "--cn", "joe")
	r := e.run("rm", "root")
	if r.code != exitUsage || !strings.Contains(r.stderr, "joe") {
		t.Errorf("rm of a CA in use: %s", r)
	}
	e.ok("rm", "root", "--force")
	e.ok("rename", "joe", "joe2")
	if got := e.list(); len(got) != 1 || got["joe2"] == "" {
		t.Errorf("ls = %v", got)
	}
}

func TestPasswd(t *testing.T) {
	e := newEnv(t)
	e.ok("pki", "ca", "root", "--cn", "Root")
	e.vars["MTLSWB_NEW_PASSPHRASE"] = "new pass"
	e.ok("passwd")
	// The old passphrase no longer works; the new one issues from the CA.
	if r := e.run("pki", "issue", "joe", "--ca", "root", "--cn", "joe"); r.code != exitUsage {
		t.Errorf("old passphrase still works: %s", r)
	}
	e.vars["MTLSWB_PASSPHRASE"] = "new pass"
	e.ok("pki", "issue", "joe", "--ca", "root", "--cn", "joe")
}

func TestNoPassphraseWorkspaceWarns(t *testing.T) {
	dir := t.TempDir()
	e := &env{t: t, dir: dir, ws: filepath.Join(dir, "plain.db"), vars: map[string]string{}}
	r := e.ok("init", "--no-passphrase")
	if !strings.Contains(r.stdout, "warning") {
		t.Errorf("init --no-passphrase did not warn: %s", r)
	}
	e.ok("pki", "ca", "root", "--cn", "Root")
	if r := e.ok("ls"); !strings.Contains(r.stderr, "no passphrase") {
		t.Errorf("ls does not warn about the unencrypted workspace: %s", r)
	}
}

func TestHelpForEveryCommand(t *testing.T) {
	e := &env{t: t, dir: t.TempDir(), vars: map[string]string{}}
	e.ws = filepath.Join(e.dir, "none.db")
	for _, cmd := range commands {
		if cmd.name == "help" {
			continue
		}
		r := e.run(cmd.name, "--help")
		if r.code != 0 || !strings.Contains(r.stdout, "Usage") {
			t.Errorf("%s --help: %s", cmd.name, r)
		}
	}
	if r := e.run("help"); r.code != 0 || !strings.Contains(r.stdout, "send") {
		t.Errorf("help: %s", r)
	}
	if r := e.run("frobnicate"); r.code != exitUsage {
		t.Errorf("unknown command: %s", r)
	}
}

func TestSelfSignedWithSANs(t *testing.T) {
	e := newEnv(t)
	e.ok("pki", "self-signed", "svc", "--cn", "svc", "--uri", "spiffe://example.org/svc", "--dns", "svc.example", "--ip", "127.0.0.1")
	var shown showResult
	if err := json.Unmarshal([]byte(e.ok("show", "svc", "--json").stdout), &shown); err != nil {
		t.Fatal(err)
	}
	if shown.AuthMethod != "self_signed_tls_client_auth" || len(shown.Cert.SPIFFEIDs) != 1 ||
		len(shown.Cert.DNSNames) != 1 || len(shown.Cert.IPAddresses) != 1 {
		t.Errorf("show: auth %q, SPIFFE %v, DNS %v, IP %v", shown.AuthMethod, shown.Cert.SPIFFEIDs, shown.Cert.DNSNames, shown.Cert.IPAddresses)
	}
	if r := e.run("pki", "self-signed", "bad", "--cn", "bad", "--uri", "not a uri"); r.code != exitUsage {
		t.Errorf("a bad --uri: %s", r)
	}
}
