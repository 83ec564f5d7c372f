package tlsengine_test

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine"
)

// textServer is a small in-test server of a line protocol on 127.0.0.1:
// serve talks to each connection; tls upgrades it (TLS from the first byte
// when implicit) with a client certificate from the fixture's root
// required. The servers play their protocol just far enough for the
// client: a greeting, the upgrade, one command inside TLS.
type textServer struct {
	implicit bool
	cfg      *tls.Config
}

type textConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *textConn) line() string {
	l, _ := c.r.ReadString('\n')
	return strings.TrimRight(l, "\r\n")
}

func (c *textConn) say(lines ...string) {
	for _, l := range lines {
		io.WriteString(c, l+"\r\n")
	}
}

// upgrade runs the server's side of the handshake; false when it failed.
func (s *textServer) upgrade(c *textConn) bool {
	tc := tls.Server(c.Conn, s.cfg)
	if tc.Handshake() != nil {
		return false
	}
	c.Conn, c.r = tc, bufio.NewReader(tc)
	return true
}

func (c *textConn) cn() string {
	return c.Conn.(*tls.Conn).ConnectionState().PeerCertificates[0].Subject.CommonName
}

func startTextServer(t *testing.T, f *fixture, implicit bool, serve func(s *textServer, c *textConn)) string {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(f.root.Cert)
	s := &textServer{implicit: implicit, cfg: &tls.Config{Certificates: []tls.Certificate{*cert(f.server)},
		ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	acceptAll(t, ln, func(c net.Conn) {
		tc := &textConn{Conn: c, r: bufio.NewReader(c)}
		if implicit && !s.upgrade(tc) {
			return
		}
		serve(s, tc)
	})
	return ln.Addr().String()
}

// acceptAll serves every connection to ln with serve, each closed after
// serve returns or 5 s have passed, until the test ends.
func acceptAll(t *testing.T, ln net.Listener, serve func(net.Conn)) {
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				serve(c)
			}()
		}
	}()
}

// mailScript is a line protocol's side of the conversation, as far as the
// client needs it: the greeting; hello, the client's first command,
// answered with offer, or with noOffer by a server that offers no TLS;
// upgrade, the command that starts TLS, answered with goAhead, or with
// refuse (when hello did not end it); then inside TLS the command ask,
// answered with welcome for joe-ec and with deny (a format naming the
// certificate's CN) for every other identity the TLS layer accepted: the
// application's refusal.
type mailScript struct {
	greeting         string
	hello            string // "": the upgrade command comes first
	offer, noOffer   []string
	upgrade, goAhead string
	refuse           string
	ask              string
	welcome          []string
	deny             string
}

// serve plays the whole conversation, offering STARTTLS unless noTLS.
func (m mailScript) serve(noTLS bool) func(*textServer, *textConn) {
	return func(s *textServer, c *textConn) {
		c.say(m.greeting)
		if !s.implicit && !m.starttls(s, c, noTLS) {
			return
		}
		if c.line() != m.ask {
			return
		}
		if c.cn() != "joe-ec" {
			c.say(fmt.Sprintf(m.deny, c.cn()))
			return
		}
		c.say(m.welcome...)
		c.line()
	}
}

// starttls plays the plaintext part after the greeting; false when the
// conversation ends there.
func (m mailScript) starttls(s *textServer, c *textConn, noTLS bool) bool {
	if m.hello != "" {
		if c.line() != m.hello {
			return false
		}
		if noTLS {
			c.say(m.noOffer...)
			return false
		}
		c.say(m.offer...)
	}
	if c.line() != m.upgrade {
		return false
	}
	if noTLS {
		c.say(m.refuse)
		return false
	}
	c.say(m.goAhead)
	return s.upgrade(c)
}

var (
	smtpScript = mailScript{greeting: "220 mail.test ESMTP ready",
		hello: "EHLO mtlswb.invalid", offer: []string{"250-mail.test", "250-SIZE 1000", "250 STARTTLS"}, noOffer: []string{"250-mail.test", "250 SIZE 1000"},
		upgrade: "STARTTLS", goAhead: "220 go ahead",
		ask: "EHLO mtlswb.invalid", welcome: []string{"250-mail.test greets you", "250 AUTH EXTERNAL PLAIN"}, deny: "554 5.7.1 certificate %s not authorized"}
	imapScript = mailScript{greeting: "* OK IMAP4rev1 ready",
		hello: "a1 CAPABILITY", offer: []string{"* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED", "a1 OK done"}, noOffer: []string{"* CAPABILITY IMAP4rev1 LOGINDISABLED", "a1 OK done"},
		upgrade: "a2 STARTTLS", goAhead: "a2 OK begin TLS",
		ask: "a3 CAPABILITY", welcome: []string{"* CAPABILITY IMAP4rev1 AUTH=EXTERNAL", "a3 OK done"}, deny: "a3 NO [AUTHORIZATIONFAILED] certificate %s not allowed"}
	pop3Script = mailScript{greeting: "+OK POP3 ready",
		upgrade: "STLS", goAhead: "+OK begin TLS", refuse: "-ERR command not recognized",
		ask: "CAPA", welcome: []string{"+OK", "USER", "SASL EXTERNAL", "."}, deny: "-ERR [AUTH] certificate %s not allowed"}
)

func TestMailProtocols(t *testing.T) {
	f := newFixture(t)
	type mail struct {
		scheme, tlsScheme string
		server            func(noTLS bool) func(*textServer, *textConn)
		ok, refused       string // the application's answer to joe-ec and to joe-rsa
		refusedAs         tlsengine.Category
	}
	for _, p := range []mail{
		{"smtp", "smtps", smtpScript.serve, "250 mail.test greets you; AUTH EXTERNAL PLAIN", "554 5.7.1 certificate joe-rsa not authorized", tlsengine.HTTPForbidden},
		{"imap", "imaps", imapScript.serve, "OK CAPABILITY IMAP4rev1 AUTH=EXTERNAL", "[AUTHORIZATIONFAILED] certificate joe-rsa not allowed", tlsengine.HTTPError},
		{"pop3", "pop3s", pop3Script.serve, "+OK CAPA USER, SASL EXTERNAL", "-ERR", tlsengine.HTTPError},
	} {
		for _, implicit := range []bool{false, true} {
			scheme := p.scheme
			if implicit {
				scheme = p.tlsScheme
			}
			addr := startTextServer(t, f, implicit, p.server(false))
			cases := map[string]protoCase{
				"good identity":  {client: cert(f.clientEC), app: p.ok},
				"no identity":    {want: tlsengine.ClientCertRequired, phase: tlsengine.PhaseHandshake},
				"rogue identity": {client: cert(f.clientRogue), want: tlsengine.ClientCertUnknownCA, phase: tlsengine.PhaseHandshake},
				"expired":        {client: cert(f.clientExpired), want: tlsengine.ClientCertExpired, phase: tlsengine.PhaseHandshake},
				"TLS accepts, the server refuses": {client: cert(f.clientRSA), want: p.refusedAs, phase: tlsengine.PhaseResponse,
					app: p.refused},
			}
			for name, c := range cases {
				t.Run(scheme+"/"+name, func(t *testing.T) {
					c.url = scheme + "://" + addr
					r := c.run(t, f)
					if !implicit && r.Timing.PreambleMs <= 0 {
						t.Errorf("STARTTLS was not timed:\n%s", dump(t, r))
					}
					if c.phase != tlsengine.PhaseHandshake && r.Timing.ExchangeMs <= 0 {
						t.Errorf("the exchange after the handshake was not timed:\n%s", dump(t, r))
					}
					if r.Timing.RequestSentMs != 0 || r.Timing.TTFBMs != 0 {
						t.Errorf("HTTP's request and first byte timed for %s:\n%s", scheme, dump(t, r))
					}
				})
			}
			if implicit {
				continue
			}
			t.Run(scheme+"/no STARTTLS", func(t *testing.T) {
				protoCase{url: scheme + "://" + startTextServer(t, f, false, p.server(true)), client: cert(f.clientEC),
					want: tlsengine.NotTLS, phase: tlsengine.PhasePreamble, summary: "TLS"}.run(t, f)
			})
			t.Run(scheme+"/https to it", func(t *testing.T) {
				protoCase{url: "https://" + addr, client: cert(f.clientEC), want: tlsengine.NotTLS, phase: tlsengine.PhaseHandshake,
					hint: "mtlswb send " + scheme + "://" + addr + " --identity x"}.run(t, f)
			})
		}
	}
}
