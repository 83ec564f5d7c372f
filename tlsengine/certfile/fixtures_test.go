package certfile

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// Fixtures are made by the real openssl binary, once per test binary: the
// point is to read what people's tools write, not what our own code writes.

const fixturePass = "s3cret pass"

// keyKinds are the key types every format is tried with.
var keyKinds = []struct {
	name    string
	genpkey []string
	// legacyCmd is the openssl command that writes the traditional
	// encrypted form ("" when the type has none).
	legacyCmd string
}{
	{"rsa2048", []string{"-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"}, "rsa"},
	{"p256", []string{"-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"}, "ec"},
	{"p384", []string{"-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"}, "ec"},
	{"p521", []string{"-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"}, "ec"},
	{"ed25519", []string{"-algorithm", "ED25519"}, ""},
}

type fixtureSet struct {
	dir string
	err error
}

var (
	fixturesOnce sync.Once
	fixtures     fixtureSet
)

const extConf = `[req]
distinguished_name = dn
[dn]
[v3_root]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[v3_int]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[v3_leaf]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`

// fixtureDir returns the directory of openssl-made fixtures, making it on
// first use. Layout: root.pem/key, int.pem/key, bundle.pem (root+int), and per
// key kind K: K.key (PKCS#8 PEM), K.pem (leaf), K-*.{pem,der,p12,txt}.
func fixtureDir(t testing.TB) string {
	t.Helper()
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Fatalf("openssl is required for these tests: %v", err)
	}
	fixturesOnce.Do(func() {
		dir, err := os.MkdirTemp("", "certfile-fixtures-")
		if err != nil {
			fixtures.err = err
			return
		}
		fixtures = fixtureSet{dir: dir, err: makeFixtures(dir)}
	})
	if fixtures.err != nil {
		t.Fatalf("make fixtures: %v", fixtures.err)
	}
	return fixtures.dir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fixtures.dir != "" {
		os.RemoveAll(fixtures.dir)
	}
	os.Exit(code)
}

func openssl(dir string, args ...string) error {
	cmd := exec.Command("openssl", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("openssl %v: %v\n%s", args, err, out)
	}
	return nil
}

func makeFixtures(dir string) error {
	if err := os.WriteFile(filepath.Join(dir, "ext.cnf"), []byte(extConf), 0o600); err != nil {
		return err
	}
	pass := "pass:" + fixturePass
	steps := [][]string{
		{"genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "root.key"},
		{"req", "-x509", "-new", "-key", "root.key", "-subj", "/CN=Fixture Root", "-days", "3",
			"-config", "ext.cnf", "-extensions", "v3_root", "-out", "root.pem"},
		{"genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", "int.key"},
		{"req", "-new", "-key", "int.key", "-subj", "/CN=Fixture Intermediate", "-config", "ext.cnf", "-out", "int.csr"},
		{"x509", "-req", "-in", "int.csr", "-CA", "root.pem", "-CAkey", "root.key", "-CAcreateserial", "-days", "3",
			"-extfile", "ext.cnf", "-extensions", "v3_int", "-out", "int.pem"},
	}
	for _, k := range keyKinds {
		n := k.name
		steps = append(steps,
			append([]string{"genpkey", "-out", n + ".key"}, k.genpkey...),
			[]string{"req", "-new", "-key", n + ".key", "-subj", "/CN=leaf " + n, "-config", "ext.cnf", "-out", n + ".csr"},
			[]string{"x509", "-req", "-in", n + ".csr", "-CA", "int.pem", "-CAkey", "int.key", "-CAcreateserial", "-days", "3",
				"-extfile", "ext.cnf", "-extensions", "v3_leaf", "-out", n + ".pem"},
			[]string{"x509", "-in", n + ".pem", "-outform", "DER", "-out", n + "-cert.der"},
			[]string{"x509", "-in", n + ".pem", "-text", "-out", n + "-text.pem"},
			[]string{"pkey", "-in", n + ".key", "-outform", "DER", "-out", n + "-pkcs8.der"},
			[]string{"pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", n + ".key", "-passout", pass, "-out", n + "-enc8.pem"},
			[]string{"pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", n + ".key", "-passout", pass, "-outform", "DER", "-out", n + "-enc8.der"},
			[]string{"pkcs12", "-export", "-in", n + ".pem", "-inkey", n + ".key", "-certfile", "int.pem", "-passout", pass, "-out", n + ".p12"},
			[]string{"pkcs12", "-export", "-legacy", "-in", n + ".pem", "-inkey", n + ".key", "-certfile", "int.pem", "-passout", pass, "-out", n + "-legacy.p12"},
		)
		if k.legacyCmd != "" {
			steps = append(steps,
				[]string{"pkey", "-in", n + ".key", "-traditional", "-out", n + "-trad.pem"},
				[]string{k.legacyCmd, "-in", n + ".key", "-outform", "DER", "-out", n + "-trad.der"},
				[]string{k.legacyCmd, "-aes256", "-in", n + ".key", "-passout", pass, "-out", n + "-legacy.pem"},
			)
		}
	}
	steps = append(steps,
		[]string{"rsa", "-aes256", "-traditional", "-in", "rsa2048.key", "-passout", pass, "-out", "rsa2048-legacy.pem"},
		[]string{"pkcs12", "-export", "-in", "p256.pem", "-inkey", "p256.key", "-passout", "pass:", "-out", "p256-nopass.p12"},
	)
	if err := runAll(dir, steps); err != nil {
		return err
	}
	if err := concat(dir, "bundle.pem", false, "root.pem", "int.pem"); err != nil {
		return err
	}
	if err := runAll(dir, [][]string{
		{"pkcs12", "-export", "-nokeys", "-in", "bundle.pem", "-passout", pass, "-out", "bundle.p12"},
		{"crl2pkcs7", "-nocrl", "-certfile", "bundle.pem", "-out", "bundle.p7b"},
		{"crl2pkcs7", "-nocrl", "-certfile", "bundle.pem", "-outform", "DER", "-out", "bundle-p7b.der"},
	}); err != nil {
		return err
	}
	// A PEM file with everything in a scrambled order and prose around it.
	return concat(dir, "mixed.pem", true, "p256-text.pem", "root.pem", "p256-trad.pem", "int.pem")
}

func runAll(dir string, steps [][]string) error {
	for _, s := range steps {
		if err := openssl(dir, s...); err != nil {
			return err
		}
	}
	return nil
}

func concat(dir, out string, prose bool, in ...string) error {
	var b bytes.Buffer
	for _, f := range in {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			return err
		}
		if prose {
			b.WriteString("some text between files\n")
		}
		b.Write(data)
	}
	return os.WriteFile(filepath.Join(dir, out), b.Bytes(), 0o600)
}

// fp is the hex SHA-256 of a certificate, for readable assertions.
func fp(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:8])
}

// loadCert reads a PEM certificate with the standard library alone, so the
// expectation does not depend on the code under test.
func loadCert(t testing.TB, path string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		t.Fatalf("%s: no PEM", path)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func fixedPass(pw string) PassphraseFunc {
	return func(string) ([]byte, error) { return []byte(pw), nil }
}
