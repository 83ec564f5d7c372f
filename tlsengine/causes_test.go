package tlsengine_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net"
	"strings"
	"testing"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/tlstest"
)

// startCloseAfterHandshake is a TLS 1.3 server that asks for a client
// certificate, completes the handshake and closes the TCP connection
// without an alert, as stunnel does when its backend is down.
func startCloseAfterHandshake(t *testing.T, f *fixture) string {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(f.root.Cert)
	cfg := &tls.Config{Certificates: []tls.Certificate{tlstest.TLSCert(f.server)}, ClientAuth: tls.RequestClientCert,
		ClientCAs: pool, MinVersion: tls.VersionTLS13,
		// Without tickets the client's first read sees the close itself.
		SessionTicketsDisabled: true}
	return startPeer(t, func(c net.Conn) {
		_ = tls.Server(c, cfg).Handshake()
		c.Close()
	})
}

// TestCloseAfterTLS13Handshake: a bare close is ranked, not asserted: a
// likely rejection of the certificate, possibly something else.
func TestCloseAfterTLS13Handshake(t *testing.T) {
	f := newFixture(t)
	addr := startCloseAfterHandshake(t, f)
	req := f.request(addr)
	req.Probe = true
	r := tlsengine.Run(context.Background(), req)
	fl := r.Failure
	if fl == nil || fl.Category != tlsengine.ClientCertRejected || fl.Phase != tlsengine.PhaseHandshake {
		t.Fatalf("want client-cert-rejected in the handshake:\n%s", dump(t, r))
	}
	if len(fl.Causes) != 2 || fl.Causes[0].Confidence != tlsengine.Likely ||
		fl.Causes[1].Category != tlsengine.ConnectionReset || fl.Causes[1].Confidence != tlsengine.Possible {
		t.Fatalf("want a likely rejection and a possible reset:\n%s", dump(t, r))
	}
	b, err := json.Marshal(fl)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"causes":[{"category":"client-cert-rejected","confidence":"likely","evidence":"the server closed the connection without an alert`) {
		t.Errorf("JSON lacks the ranked causes: %s", b)
	}
}
