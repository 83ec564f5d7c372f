package tlsengine_test

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
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

// Each server below offers STARTTLS unless noTLS, and inside TLS accepts
// joe-ec only: the application's refusal of an identity TLS accepted.

func smtpServer(noTLS bool) func(*textServer, *textConn) {
	return func(s *textServer, c *textConn) {
		c.say("220 mail.test ESMTP ready")
		if !s.implicit {
			if c.line() != "EHLO mtlswb.invalid" {
				return
			}
			if noTLS {
				c.say("250-mail.test", "250 SIZE 1000")
				return
			}
			c.say("250-mail.test", "250-SIZE 1000", "250 STARTTLS")
			if c.line() != "STARTTLS" {
				return
			}
			c.say("220 go ahead")
			if !s.upgrade(c) {
				return
			}
		}
		if c.line() != "EHLO mtlswb.invalid" {
			return
		}
		if c.cn() != "joe-ec" {
			c.say("554 5.7.1 certificate " + c.cn() + " not authorized")
			return
		}
		c.say("250-mail.test greets you", "250 AUTH EXTERNAL PLAIN")
		c.line()
	}
}

func imapServer(noTLS bool) func(*textServer, *textConn) {
	return func(s *textServer, c *textConn) {
		c.say("* OK IMAP4rev1 ready")
		if !s.implicit {
			if c.line() != "a1 CAPABILITY" {
				return
			}
			if noTLS {
				c.say("* CAPABILITY IMAP4rev1 LOGINDISABLED", "a1 OK done")
				return
			}
			c.say("* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED", "a1 OK done")
			if c.line() != "a2 STARTTLS" {
				return
			}
			c.say("a2 OK begin TLS")
			if !s.upgrade(c) {
				return
			}
		}
		if c.line() != "a3 CAPABILITY" {
			return
		}
		if c.cn() != "joe-ec" {
			c.say("a3 NO [AUTHORIZATIONFAILED] certificate " + c.cn() + " not allowed")
			return
		}
		c.say("* CAPABILITY IMAP4rev1 AUTH=EXTERNAL", "a3 OK done")
		c.line()
	}
}

func pop3Server(noTLS bool) func(*textServer, *textConn) {
	return func(s *textServer, c *textConn) {
		c.say("+OK POP3 ready")
		if !s.implicit {
			if c.line() != "STLS" {
				return
			}
			if noTLS {
				c.say("-ERR command not recognized")
				return
			}
			c.say("+OK begin TLS")
			if !s.upgrade(c) {
				return
			}
		}
		if c.line() != "CAPA" {
			return
		}
		if c.cn() != "joe-ec" {
			c.say("-ERR [AUTH] certificate " + c.cn() + " not allowed")
			return
		}
		c.say("+OK", "USER", "SASL EXTERNAL", ".")
		c.line()
	}
}

func TestMailProtocols(t *testing.T) {
	f := newFixture(t)
	type mail struct {
		scheme, tlsScheme string
		server            func(noTLS bool) func(*textServer, *textConn)
		ok, refused       string // the application's answer to joe-ec and to joe-rsa
		refusedAs         tlsengine.Category
	}
	for _, p := range []mail{
		{"smtp", "smtps", smtpServer, "250 mail.test greets you; AUTH EXTERNAL PLAIN", "554 5.7.1 certificate joe-rsa not authorized", tlsengine.HTTPForbidden},
		{"imap", "imaps", imapServer, "OK CAPABILITY IMAP4rev1 AUTH=EXTERNAL", "[AUTHORIZATIONFAILED] certificate joe-rsa not allowed", tlsengine.HTTPError},
		{"pop3", "pop3s", pop3Server, "+OK CAPA USER, SASL EXTERNAL", "-ERR", tlsengine.HTTPError},
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
