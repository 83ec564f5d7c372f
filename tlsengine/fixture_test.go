package tlsengine_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"testing"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/pki"
	"github.com/mtlswb/mtlswb/tlsengine/tlstest"
)

// fixture is one PKI with every certificate the scenarios need: good client
// certificates of each key type and broken ones differing from a good one in
// a single field.
type fixture struct {
	root, inter, rogue               pki.Pair
	server, serverExpired, serverOld pki.Pair // serverOld: issued by inter
	serverOtherName, serverFuture    pki.Pair
	clientEC, clientRSA, clientEd    pki.Pair
	clientExpired, clientServerOnly  pki.Pair
	clientRogue                      pki.Pair
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	must := func(p pki.Pair, err error) pki.Pair {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	f := &fixture{}
	f.root = must(pki.NewRoot(pki.Spec{CN: "Test Root", IsCA: true, MaxPathLen: 1}))
	f.inter = must(f.root.Issue(pki.Spec{CN: "Test Intermediate", IsCA: true}))
	f.rogue = must(pki.NewRoot(pki.Spec{CN: "Rogue CA", IsCA: true}))
	f.server = must(f.root.Issue(tlstest.ServerSpec("localhost")))
	expired := tlstest.ServerSpec("expired server")
	expired.NotBefore, expired.NotAfter = time.Now().Add(-72*time.Hour), time.Now().Add(-48*time.Hour)
	f.serverExpired = must(f.root.Issue(expired))
	future := tlstest.ServerSpec("future server")
	future.NotBefore, future.NotAfter = time.Now().Add(48*time.Hour), time.Now().Add(96*time.Hour)
	f.serverFuture = must(f.root.Issue(future))
	f.serverOld = must(f.inter.Issue(tlstest.ServerSpec("chained server")))
	other := tlstest.ServerSpec("other")
	other.DNSNames, other.IPs = []string{"other.example"}, nil
	f.serverOtherName = must(f.root.Issue(other))
	f.clientEC = must(f.root.Issue(pki.Spec{CN: "joe-ec", Client: true}))
	f.clientRSA = must(f.root.Issue(pki.Spec{CN: "joe-rsa", Client: true, Key: pki.RSA2048}))
	f.clientEd = must(f.root.Issue(pki.Spec{CN: "joe-ed25519", Client: true, Key: pki.Ed25519}))
	f.clientExpired = must(f.root.Issue(pki.Spec{CN: "joe-expired", Client: true,
		NotBefore: time.Now().Add(-72 * time.Hour), NotAfter: time.Now().Add(-48 * time.Hour)}))
	f.clientServerOnly = must(f.root.Issue(pki.Spec{CN: "joe-server-eku", ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}))
	f.clientRogue = must(f.rogue.Issue(pki.Spec{CN: "joe-rogue", Client: true}))
	return f
}

func cert(p pki.Pair, chain ...*x509.Certificate) *tls.Certificate {
	c := tlstest.TLSCert(p, chain...)
	return &c
}

// opensslArgs are s_server arguments for a server with cert, verifying
// clients against the fixture's root.
func (f *fixture) opensslArgs(t testing.TB, server pki.Pair, extra ...string) []string {
	args := []string{
		"-cert", tlstest.WriteCertPEM(t, server.Cert), "-key", tlstest.WriteKeyPEM(t, server.Key),
		"-CAfile", tlstest.WriteCertPEM(t, f.root.Cert),
		"-Verify", "1", "-verify_return_error", "-www",
	}
	return append(args, extra...)
}

func dump(t testing.TB, r tlsengine.Report) string {
	t.Helper()
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
