package realserver_test

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/pki"
	"github.com/mtlswb/mtlswb/tlsengine/realserver"
	"github.com/mtlswb/mtlswb/tlsengine/tlstest"
)

// The wire tests record what each server really sends in the cases the
// diagnosis has to tell apart (issue 9): an alert in the handshake, an alert
// after it (TLS 1.3 judges the client certificate after the client's
// Finished), a close without an alert, an HTTP status. They use a bare
// crypto/tls client, so they hold whatever the engine makes of it; when a
// server's behaviour changes with a new version, this is the test that says
// so.

// wirePKI adds the broken client certificates to the shared fixture, each
// one field away from the good one.
type wirePKI struct {
	*fixture
	inter                            pki.Pair
	deepRoot                         pki.Pair // root, two intermediates, leaf: one more than depth 1 allows
	deep                             *tls.Certificate
	expired, wrongUsage, interIssued pki.Pair
	rootCRL, interCRL                []byte
	good, rogue, revoked, viaIn      *tls.Certificate
	expiredCert, wrongUsageCert      *tls.Certificate
}

func newWirePKI(t *testing.T) *wirePKI {
	t.Helper()
	f := pkiFixture(t)
	w := &wirePKI{fixture: f}
	w.inter = must(f.root.Issue(pki.Spec{CN: "Realserver Test Intermediate", IsCA: true}))
	w.expired = must(f.root.Issue(pki.Spec{CN: "expired", Client: true,
		NotBefore: time.Now().Add(-72 * time.Hour), NotAfter: time.Now().Add(-48 * time.Hour)}))
	w.wrongUsage = must(f.root.Issue(pki.Spec{CN: "server-eku", ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}))
	w.interIssued = must(w.inter.Issue(pki.Spec{CN: "via-intermediate", Client: true}))
	w.rootCRL = realserver.NewCRL(t, f.root, f.clientRevoked.Cert)
	w.interCRL = realserver.NewCRL(t, w.inter)
	w.deepRoot = must(pki.NewRoot(pki.Spec{CN: "Deep Root", IsCA: true, MaxPathLen: -1}))
	i1 := must(w.deepRoot.Issue(pki.Spec{CN: "Deep Intermediate 1", IsCA: true, MaxPathLen: 1}))
	i2 := must(i1.Issue(pki.Spec{CN: "Deep Intermediate 2", IsCA: true}))
	deepLeaf := must(i2.Issue(pki.Spec{CN: "deep", Client: true}))
	w.good, w.rogue, w.revoked = tlsCert(f.client), tlsCert(f.clientRogue), tlsCert(f.clientRevoked)
	w.viaIn = tlsCert(w.interIssued, w.inter.Cert)
	w.expiredCert, w.wrongUsageCert = tlsCert(w.expired), tlsCert(w.wrongUsage)
	w.deep = tlsCert(deepLeaf, i2.Cert, i1.Cert)
	return w
}

// tlsWithCRLs is the server side with both CAs' CRLs: nginx and Apache
// check CRLs for every CA of a chain and refuse a chain missing one.
func (w *wirePKI) tlsWithCRLs() realserver.TLS {
	c := w.tlsConfig()
	c.CRLs = [][]byte{w.rootCRL, w.interCRL}
	return c
}

// handshakeVerdicts are the classic cases on a server that verifies the
// client certificate in the handshake with OpenSSL (HAProxy's verify
// required, Apache's SSLVerifyClient require, stunnel): a specific alert
// each, inside the handshake on TLS 1.2 and at the first read on TLS 1.3.
func (w *wirePKI) handshakeVerdicts() map[string]wireCase {
	return map[string]wireCase{
		"good":        {cert: w.good, tls12: "HTTP 200", tls13: "HTTP 200"},
		"none":        {tls12: "handshake: alert 40", tls13: "after handshake: alert 116"},
		"rogue":       {cert: w.rogue, tls12: "handshake: alert 48", tls13: "after handshake: alert 48"},
		"expired":     {cert: w.expiredCert, tls12: "handshake: alert 45", tls13: "after handshake: alert 45"},
		"wrong usage": {cert: w.wrongUsageCert, tls12: "handshake: alert 43", tls13: "after handshake: alert 43"},
		"revoked":     {cert: w.revoked, tls12: "handshake: alert 44", tls13: "after handshake: alert 44"},
	}
}

// wireCase is one attempt and what the server must do.
type wireCase struct {
	cert *tls.Certificate // nil: none sent
	path string           // "/" when empty
	// renegotiate lets the client accept one renegotiation (Apache's
	// per-directory client auth on TLS 1.2).
	renegotiate bool
	// tls12 and tls13 are the outcomes per version (see observe).
	tls12, tls13 string
}

// observe makes one HTTP/1.1 request with c at version v and says what the
// server did: "handshake: alert N", "after handshake: alert N" (the first
// read failed on an alert), "after handshake: closed" (no alert; EOF or
// reset), "after handshake: renegotiation refused" (the server asked to
// renegotiate and the client would not), or "HTTP N".
func observe(t *testing.T, addr string, w *wirePKI, tc wireCase, v uint16) string {
	got, _ := observeTickets(t, addr, w, tc, v)
	return got
}

// ticketCounter is a session cache that only counts the tickets the server
// sent: crypto/tls puts each one it reads.
type ticketCounter struct{ n int }

func (c *ticketCounter) Get(string) (*tls.ClientSessionState, bool) { return nil, false }
func (c *ticketCounter) Put(_ string, s *tls.ClientSessionState) {
	if s != nil {
		c.n++
	}
}

// observeTickets is observe, also counting the TLS 1.3 session tickets
// read before the outcome.
func observeTickets(t *testing.T, addr string, w *wirePKI, tc wireCase, v uint16) (string, int) {
	tickets := &ticketCounter{}
	cfg := w.clientConfig(tc.cert, v, v)
	cfg.ClientSessionCache = tickets
	if tc.renegotiate {
		cfg.Renegotiation = tls.RenegotiateOnceAsClient
	}
	path := tc.path
	if path == "" {
		path = "/"
	}
	raw := dialRaw(t, addr)
	c := tls.Client(raw, cfg)
	if err := c.Handshake(); err != nil {
		return "handshake: " + wireError(err), tickets.n
	}
	if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", path); err != nil {
		return "after handshake: " + wireError(err), tickets.n
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return "after handshake: " + wireError(err), tickets.n
	}
	resp.Body.Close()
	return fmt.Sprintf("HTTP %d", resp.StatusCode), tickets.n
}

func wireError(err error) string {
	if n, ok := tlsengine.AlertFromError(err); ok {
		return fmt.Sprintf("alert %d", n)
	}
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "closed"
	case strings.Contains(err.Error(), "no renegotiation"):
		return "renegotiation refused"
	}
	return err.Error()
}

// runWire runs the cases against srv on both versions.
func (w *wirePKI) runWire(t *testing.T, srv *realserver.Server, cases map[string]wireCase) {
	t.Helper()
	for name, tc := range cases {
		eachVersion(t, name, tc.tls12, tc.tls13, func(t *testing.T, v uint16, want string) {
			if got := observe(t, srv.Addr, w, tc, v); got != want {
				t.Errorf("%s: %s, want %s\n%s", srv.Name, got, want, srv.Logs())
			}
		})
	}
}

// eachVersion runs run as the subtests "name tls12" and "name tls13", with
// the version and what the case must give on it.
func eachVersion[W any](t *testing.T, name string, want12, want13 W, run func(t *testing.T, v uint16, want W)) {
	t.Helper()
	for _, v := range []struct {
		name string
		v    uint16
		want W
	}{{"tls12", tls.VersionTLS12, want12}, {"tls13", tls.VersionTLS13, want13}} {
		t.Run(name+" "+v.name, func(t *testing.T) { run(t, v.v, v.want) })
	}
}

// setup is one server configuration and the cases to run against it.
type setup[C any] struct {
	name   string
	server realserver.Config
	cases  map[string]C
}

// onServers starts each setup's server in a parallel subtest of its name
// and runs its cases there.
func onServers[C any](t *testing.T, setups []setup[C], run func(t *testing.T, srv *realserver.Server, cases map[string]C)) {
	t.Helper()
	for _, s := range setups {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			run(t, realserver.Start(t, s.server), s.cases)
		})
	}
}

func TestWireNginx(t *testing.T) {
	t.Parallel()
	w := newWirePKI(t)
	// nginx never refuses a client certificate in the handshake: it
	// finishes it and answers 400 pages; its 495 and 496 are internal codes
	// sent as 400 unless an error_page maps them.
	onServers(t, []setup[wireCase]{
		{"required", realserver.NginxConfig{TLS: w.tlsWithCRLs(), Verify: realserver.VerifyRequired}, map[string]wireCase{
			"good":             {cert: w.good, tls12: "HTTP 200", tls13: "HTTP 200"},
			"none":             {tls12: "HTTP 400", tls13: "HTTP 400"},
			"rogue":            {cert: w.rogue, tls12: "HTTP 400", tls13: "HTTP 400"},
			"expired":          {cert: w.expiredCert, tls12: "HTTP 400", tls13: "HTTP 400"},
			"wrong usage":      {cert: w.wrongUsageCert, tls12: "HTTP 400", tls13: "HTTP 400"},
			"revoked":          {cert: w.revoked, tls12: "HTTP 400", tls13: "HTTP 400"},
			"via intermediate": {cert: w.viaIn, tls12: "HTTP 200", tls13: "HTTP 200"},
		}},
		{"optional, 496 and 495", realserver.NginxConfig{TLS: w.tlsConfig(), Verify: realserver.VerifyOptional,
			StatusIfNoCert: 496, StatusIfCertError: 495}, map[string]wireCase{
			"good":  {cert: w.good, tls12: "HTTP 200", tls13: "HTTP 200"},
			"none":  {tls12: "HTTP 400", tls13: "HTTP 400"},
			"rogue": {cert: w.rogue, tls12: "HTTP 400", tls13: "HTTP 400"},
		}},
		// ssl_verify_depth 1 (the default) allows one intermediate between the
		// leaf and the trusted root; two are one too many.
		{"depth", realserver.NginxConfig{TLS: w.deepTLS(), Verify: realserver.VerifyRequired}, map[string]wireCase{
			"two intermediates": {cert: w.deep, tls12: "HTTP 400", tls13: "HTTP 400"},
		}},
		{"optional, error_page keeps 495 and 496", realserver.NginxConfig{TLS: w.tlsConfig(), Verify: realserver.VerifyOptionalNoCA,
			StatusIfNoCert: 496, StatusIfCertError: 495, Extra: nginxKeeps495And496}, map[string]wireCase{
			"none":  {tls12: "HTTP 496", tls13: "HTTP 496"},
			"rogue": {cert: w.rogue, tls12: "HTTP 495", tls13: "HTTP 495"},
		}},
	}, w.runWire)
}

// nginxKeeps495And496 makes nginx answer its internal 495 and 496 as they
// are, instead of as 400 pages.
const nginxKeeps495And496 = `error_page 495 =495 /495.txt; error_page 496 =496 /496.txt; location = /495.txt { internal; return 200 "SSL certificate error\n"; } location = /496.txt { internal; return 200 "SSL certificate required\n"; }`

// deepTLS trusts only the deep root, whose leaves come with two
// intermediates.
func (w *wirePKI) deepTLS() realserver.TLS {
	return realserver.TLS{Cert: w.server, ClientCAs: []*x509.Certificate{w.deepRoot.Cert}}
}

func TestWireHAProxy(t *testing.T) {
	t.Parallel()
	w := newWirePKI(t)
	onServers(t, []setup[wireCase]{
		{"required", realserver.HAProxyConfig{TLS: w.tlsWithCRLs(), Verify: realserver.VerifyRequired}, w.handshakeVerdicts()},
		{"optional, 496", realserver.HAProxyConfig{TLS: w.tlsConfig(), Verify: realserver.VerifyOptional, StatusIfNoCert: 496}, map[string]wireCase{
			"none":  {tls12: "HTTP 496", tls13: "HTTP 496"},
			"rogue": {cert: w.rogue, tls12: "handshake: alert 48", tls13: "after handshake: alert 48"},
		}},
		{"optional no CA, 495", realserver.HAProxyConfig{TLS: w.tlsConfig(), Verify: realserver.VerifyOptionalNoCA,
			StatusIfNoCert: 496, StatusIfCertError: 495}, map[string]wireCase{
			"good":  {cert: w.good, tls12: "HTTP 200", tls13: "HTTP 200"},
			"rogue": {cert: w.rogue, tls12: "HTTP 495", tls13: "HTTP 495"},
		}},
	}, w.runWire)
}

func TestWireApache(t *testing.T) {
	t.Parallel()
	w := newWirePKI(t)
	onServers(t, []setup[wireCase]{
		{"vhost require", realserver.ApacheConfig{TLS: w.tlsWithCRLs(), Verify: realserver.VerifyRequired}, w.handshakeVerdicts()},
		// <Location /secure> SSLVerifyClient require: the handshake asks for
		// nothing; Apache asks after the request line, by renegotiation on TLS
		// 1.2 and by post-handshake auth on TLS 1.3, which Go does not offer.
		{"location require", realserver.ApacheConfig{TLS: w.tlsConfig(), SecureVerify: realserver.VerifyRequired}, map[string]wireCase{
			"outside":             {cert: w.good, tls12: "HTTP 200", tls13: "HTTP 200"},
			"secure":              {cert: w.good, path: "/secure/", tls12: "after handshake: renegotiation refused", tls13: "HTTP 403"},
			"secure, renegotiate": {cert: w.good, path: "/secure/", renegotiate: true, tls12: "HTTP 200", tls13: "HTTP 403"},
			"secure, none":        {path: "/secure/", renegotiate: true, tls12: "after handshake: alert 40", tls13: "HTTP 403"},
		}},
	}, w.runWire)
}

func TestWireStunnel(t *testing.T) {
	t.Parallel()
	w := newWirePKI(t)
	// The certificate is accepted; stunnel then cannot reach its backend
	// and closes: with TLS 1.3 this looks like a late rejection without an
	// alert.
	srv := realserver.StartStunnel(t, realserver.StunnelConfig{TLS: w.tlsConfig(), Verify: realserver.VerifyRequired, Backend: tlstest.ClosedAddr(t)})
	w.runWire(t, srv, map[string]wireCase{
		"backend down": {cert: w.good, tls12: "after handshake: closed", tls13: "after handshake: closed"},
		"none":         {tls12: "handshake: alert 40", tls13: "after handshake: alert 116"},
	})
}

func TestWireMosquitto(t *testing.T) {
	t.Parallel()
	w := newWirePKI(t)
	// A broker accepts the certificate, then gets HTTP instead of MQTT.
	srv := realserver.StartMosquitto(t, realserver.MosquittoConfig{TLS: w.tlsConfig(), Verify: realserver.VerifyRequired})
	w.runWire(t, srv, map[string]wireCase{
		"http to a broker": {cert: w.good, tls12: "after handshake: closed", tls13: "after handshake: closed"},
	})
}

// TestWireTicketsBeforeVerdict checks the evidence issue 9 leans on for a
// TLS 1.3 close without an alert: OpenSSL servers send their session
// tickets only once they accepted the client certificate, so tickets before
// the close mean the close is not a certificate rejection.
func TestWireTicketsBeforeVerdict(t *testing.T) {
	t.Parallel()
	w := newWirePKI(t)
	down := realserver.StartStunnel(t, realserver.StunnelConfig{TLS: w.tlsConfig(), Verify: realserver.VerifyRequired, Backend: tlstest.ClosedAddr(t)})
	haproxy := realserver.StartHAProxy(t, realserver.HAProxyConfig{TLS: w.tlsConfig(), Verify: realserver.VerifyRequired})
	broker := realserver.StartMosquitto(t, realserver.MosquittoConfig{TLS: w.tlsConfig(), Verify: realserver.VerifyRequired})
	cases := map[string]struct {
		srv     *realserver.Server
		tc      wireCase
		want    string
		tickets bool
	}{
		"stunnel, backend down":  {srv: down, tc: wireCase{cert: w.good}, want: "after handshake: closed", tickets: true},
		"mosquitto, HTTP":        {srv: broker, tc: wireCase{cert: w.good}, want: "after handshake: closed", tickets: true},
		"haproxy, rogue":         {srv: haproxy, tc: wireCase{cert: w.rogue}, want: "after handshake: alert 48"},
		"haproxy, none":          {srv: haproxy, tc: wireCase{}, want: "after handshake: alert 116"},
		"haproxy, good (200 ok)": {srv: haproxy, tc: wireCase{cert: w.good}, want: "HTTP 200", tickets: true},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, n := observeTickets(t, c.srv.Addr, w, c.tc, tls.VersionTLS13)
			if got != c.want || (n > 0) != c.tickets {
				t.Errorf("%s with %d tickets; want %s with tickets %t\n%s", got, n, c.want, c.tickets, c.srv.Logs())
			}
		})
	}
}
