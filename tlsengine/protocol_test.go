package tlsengine

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine/pki"
	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// toyProtocol proves the protocol seam with what a STARTTLS protocol needs
// and nothing else: a line-based plaintext preamble ("STARTTLS", answered
// "GO" or a refusal), TLS, then one exchange ("HELLO", answered "OK name"
// or "DENIED reason") that carries the application's verdict. It is
// registered for toy:// in this test binary only, and touches no other file.
type toyProtocol struct{}

func init() { register(toyProtocol{}, "toy") }

var _ preambler = toyProtocol{}

func (toyProtocol) name() string                              { return "TOY" }
func (toyProtocol) defaultPort() int                          { return 4433 }
func (toyProtocol) alpn() []string                            { return nil }
func (toyProtocol) check(Request, target) error               { return nil }
func (toyProtocol) echo(_ Request, i RequestInfo) RequestInfo { return i }

func (toyProtocol) preamble(_ context.Context, c net.Conn, _ string) error {
	r := bufio.NewReader(c)
	if _, err := toyLine(r); err != nil {
		return fmt.Errorf("read the toy greeting: %w", err)
	}
	if _, err := io.WriteString(c, "STARTTLS\n"); err != nil {
		return fmt.Errorf("send STARTTLS: %w", err)
	}
	answer, err := toyLine(r)
	if err != nil {
		return fmt.Errorf("read the answer to STARTTLS: %w", err)
	}
	if answer != "GO" {
		return &refusal{category: NotTLS, summary: "the toy server refused STARTTLS", said: answer,
			hints: []string{"use a port where the server offers STARTTLS"}}
	}
	return nil
}

func (toyProtocol) exchange(ctx context.Context, a *attempt) (outcome, error) {
	tc, err := a.open(ctx)
	if err != nil {
		return outcome{}, err
	}
	defer tc.Close()
	if _, err := io.WriteString(tc, "HELLO\n"); err != nil {
		return outcome{}, err
	}
	a.setPhase(PhaseResponse)
	answer, err := toyLine(bufio.NewReader(tc))
	if err != nil {
		return outcome{}, err
	}
	app := &Application{Protocol: "TOY", Accepted: strings.HasPrefix(answer, "OK "), Message: safetext.Line(answer)}
	if !app.Accepted {
		return outcome{app: app}, &refusal{category: ClientCertRequired, summary: "the toy server wants a client certificate", said: answer}
	}
	return outcome{app: app}, nil
}

func toyLine(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	return strings.TrimSuffix(line, "\n"), err
}

// toyServer is the server side, on 127.0.0.1, for one connection. mode
// says how it misbehaves: "" plays along, "refuse" declines STARTTLS,
// "hangup" closes after its greeting. The server's log of events comes out
// of the channel when the connection ends, so a test reads what the server
// saw without sleeping.
func toyServer(t *testing.T, mode string, cfg *tls.Config) (string, <-chan []string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	log := make(chan []string, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			log <- []string{"no connection"}
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		log <- serveToy(c, mode, cfg)
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
	return ln.Addr().String(), log
}

func serveToy(c net.Conn, mode string, cfg *tls.Config) []string {
	var seen []string
	r := bufio.NewReader(c)
	io.WriteString(c, "TOY ready\n")
	if mode == "hangup" {
		return append(seen, "hung up")
	}
	line, err := toyLine(r)
	if err != nil {
		return append(seen, "no STARTTLS: "+err.Error())
	}
	seen = append(seen, "plaintext "+line)
	if mode == "refuse" {
		io.WriteString(c, "NO \x1b[31mSTARTTLS is not offered\n")
		return append(seen, "refused")
	}
	io.WriteString(c, "GO\n")
	if r.Buffered() > 0 {
		return append(seen, "plaintext after STARTTLS")
	}
	tc := tls.Server(c, cfg)
	if err := tc.Handshake(); err != nil {
		return append(seen, "handshake failed")
	}
	seen = append(seen, "handshake")
	tr := bufio.NewReader(tc)
	line, err = toyLine(tr)
	if err != nil {
		return append(seen, "no exchange") // a probe closes after the handshake
	}
	seen = append(seen, "tls "+line)
	if certs := tc.ConnectionState().PeerCertificates; len(certs) > 0 {
		io.WriteString(tc, "OK "+certs[0].Subject.CommonName+"\n")
	} else {
		io.WriteString(tc, "DENIED no certificate\n")
	}
	return seen
}

// toyPKI issues what the toy tests need (tlstest would import the engine
// back through its servers).
func toyPKI(t *testing.T) (root, server, client, rogue pki.Pair) {
	t.Helper()
	root, err := pki.NewRoot(pki.Spec{CN: "Toy Root", IsCA: true})
	if err != nil {
		t.Fatal(err)
	}
	rogueCA, err := pki.NewRoot(pki.Spec{CN: "Rogue CA", IsCA: true})
	if err != nil {
		t.Fatal(err)
	}
	server, err1 := root.Issue(pki.Spec{CN: "toy server", Server: true, IPs: []net.IP{net.IPv4(127, 0, 0, 1)}})
	client, err2 := root.Issue(pki.Spec{CN: "client", Client: true})
	rogue, err3 := rogueCA.Issue(pki.Spec{CN: "rogue", Client: true})
	if err := errors.Join(err1, err2, err3); err != nil {
		t.Fatal(err)
	}
	return root, server, client, rogue
}

func tlsCert(p pki.Pair) *tls.Certificate {
	return &tls.Certificate{Certificate: [][]byte{p.Cert.Raw}, PrivateKey: p.Key, Leaf: p.Cert}
}

func TestProtocolSeam(t *testing.T) {
	root, server, client, rogue := toyPKI(t)
	pool := x509.NewCertPool()
	pool.AddCert(root.Cert)
	lax := &tls.Config{Certificates: []tls.Certificate{*tlsCert(server)}, ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: pool}
	strict := lax.Clone()
	strict.ClientAuth = tls.RequireAndVerifyClientCert

	cases := map[string]struct {
		mode   string
		cfg    *tls.Config
		client *tls.Certificate
		probe  bool
		want   Category // "" for success
		phase  Phase
		seen   string // the server's log, joined with "; "
		check  func(t *testing.T, r Report)
	}{
		"accepted": {cfg: lax, client: tlsCert(client),
			seen: "plaintext STARTTLS; handshake; tls HELLO",
			check: func(t *testing.T, r Report) {
				want := Application{Protocol: "TOY", Accepted: true, Message: "OK client"}
				if r.Application == nil || *r.Application != want {
					t.Errorf("application = %+v, want %+v", r.Application, want)
				}
				if r.TLS.ClientCertSent == nil || r.HTTP != nil || r.Request.Method != "" {
					t.Errorf("want a certificate sent, no HTTP and no method")
				}
			}},
		"application refuses": {cfg: lax, want: ClientCertRequired, phase: PhaseResponse,
			seen: "plaintext STARTTLS; handshake; tls HELLO",
			check: func(t *testing.T, r Report) {
				if r.Application == nil || r.Application.Accepted || r.Application.Message != "DENIED no certificate" {
					t.Errorf("application = %+v, want the refusal", r.Application)
				}
				if !strings.Contains(r.Failure.Detail, "DENIED no certificate") {
					t.Errorf("detail %q does not quote the server", r.Failure.Detail)
				}
			}},
		"preamble refused": {mode: "refuse", cfg: lax, client: tlsCert(client), want: NotTLS, phase: PhasePreamble,
			seen: "plaintext STARTTLS; refused",
			check: func(t *testing.T, r Report) {
				if r.TLS.Version != "" || r.Timing.TLSMs != 0 || r.Application != nil {
					t.Errorf("no handshake may follow a refused preamble: tls %q in %.3f ms", r.TLS.Version, r.Timing.TLSMs)
				}
				if !strings.Contains(r.Failure.Detail, "NO ^[[31mSTARTTLS is not offered") {
					t.Errorf("detail %q does not quote the server safely", r.Failure.Detail)
				}
			}},
		"preamble hangup": {mode: "hangup", cfg: lax, client: tlsCert(client), want: ConnectionReset, phase: PhasePreamble,
			seen: "hung up"},
		// In TLS 1.3 the client's handshake is over before the server
		// judges its certificate: the alert reaches the exchange's read.
		"late alert in the exchange": {cfg: strict, client: tlsCert(rogue), want: ClientCertUnknownCA, phase: PhaseHandshake,
			seen: "plaintext STARTTLS; handshake failed",
			check: func(t *testing.T, r Report) {
				if r.Failure.Alert != 48 || r.Application != nil {
					t.Errorf("want alert 48 (unknown_ca) and no application answer, got alert %d", r.Failure.Alert)
				}
			}},
		"probe": {cfg: lax, client: tlsCert(client), probe: true,
			seen: "plaintext STARTTLS; handshake; no exchange",
			check: func(t *testing.T, r Report) {
				if r.Application != nil || !r.TLS.ClientCertRequested {
					t.Errorf("a probe stops after the handshake: application %+v", r.Application)
				}
			}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			addr, logs := toyServer(t, c.mode, c.cfg)
			req := Request{URL: "toy://" + addr, ClientCert: c.client, Roots: []*x509.Certificate{root.Cert},
				Probe: c.probe, Timeout: 5 * time.Second}
			r := Run(context.Background(), req)
			dump, _ := json.MarshalIndent(r, "", "  ")
			switch {
			case c.want == "" && !r.OK:
				t.Fatalf("want success:\n%s", dump)
			case c.want != "" && (r.Failure == nil || r.Failure.Category != c.want || r.Failure.Phase != c.phase):
				t.Fatalf("want %s in phase %s:\n%s", c.want, c.phase, dump)
			}
			if seen := strings.Join(<-logs, "; "); seen != c.seen {
				t.Errorf("the server saw %q, want %q", seen, c.seen)
			}
			// The preamble always ran, and before TLS: its time is its own.
			if r.Timing.PreambleMs <= 0 || !strings.Contains(string(dump), `"starttls_ms"`) {
				t.Errorf("want the preamble timed as starttls_ms:\n%s", dump)
			}
			if c.check != nil {
				c.check(t, r)
			}
		})
	}
}

// TestPreambleCanceled: the caller's cancel ends a preamble waiting on a
// silent server, and is reported as a cancel, not a timeout.
func TestPreambleCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	done := make(chan Report, 1)
	go func() { done <- Run(ctx, Request{URL: "toy://" + ln.Addr().String(), Timeout: 10 * time.Second}) }()
	c := <-accepted // the preamble now waits for a greeting that never comes
	defer c.Close()
	cancel()
	r := <-done
	if r.Failure == nil || r.Failure.Category != Canceled {
		b, _ := json.MarshalIndent(r, "", "  ")
		t.Fatalf("want canceled:\n%s", b)
	}
}

func TestSchemes(t *testing.T) {
	got := map[string]Scheme{}
	for _, s := range Schemes() {
		got[s.Name] = s
	}
	for _, want := range []Scheme{{"https", "HTTP", 443}, {"tls", "TLS", 443}, {"toy", "TOY", 4433}} {
		if got[want.Name] != want {
			t.Errorf("scheme %s = %+v, want %+v", want.Name, got[want.Name], want)
		}
	}
}

func TestRegisterTwicePanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), `"toy"`) {
			t.Errorf("want a panic naming the scheme, got %v", r)
		}
	}()
	register(toyProtocol{}, "toy")
}
