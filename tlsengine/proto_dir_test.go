package tlsengine_test

import (
	"bytes"
	"encoding/binary"
	"io"
	"strings"
	"testing"

	"github.com/mtlswb/mtlswb/tlsengine"
)

// In-test servers for FTP, LDAP and XMPP (see textServer): each lets joe-ec
// in and refuses every other identity the TLS layer accepted.

func ftpServer(noTLS bool) func(*textServer, *textConn) {
	ftp := mailScript{greeting: "220 FTP ready", upgrade: "AUTH TLS", goAhead: "234 proceed", refuse: "502 command not implemented"}
	return func(s *textServer, c *textConn) {
		c.say(ftp.greeting)
		if !ftp.starttls(s, c, noTLS) {
			return
		}
		for _, want := range []string{"PBSZ 0", "PROT P"} {
			if c.line() != want {
				return
			}
			c.say("200 " + want + " ok")
		}
		l := c.line()
		user, ok := strings.CutPrefix(l, "USER ")
		switch {
		case !ok:
			return
		case user == "pw":
			c.say("331 password required for pw")
		case user == c.cn():
			c.say("232 user " + user + " logged in, authorized by security data exchange")
		default:
			c.say("530 certificate " + c.cn() + " does not match user " + user)
		}
		c.line()
	}
}

// ldapServer speaks BER with long-form lengths (as Active Directory does).
func ldapServer(noTLS bool) func(*textServer, *textConn) {
	long := func(tag byte, content []byte) []byte {
		return append(binary.BigEndian.AppendUint32([]byte{tag, 0x84}, uint32(len(content))), content...)
	}
	result := func(id, op byte, code byte, diag string, extra ...byte) []byte {
		body := append(append(append([]byte{0x0a, 1, code}, 0x04, 0), long(0x04, []byte(diag))...), extra...)
		return long(0x30, append([]byte{0x02, 1, id}, long(op, body)...))
	}
	read := func(c *textConn) (id byte, op byte, body []byte) {
		var h [2]byte
		if _, err := io.ReadFull(c.r, h[:]); err != nil || h[0] != 0x30 || h[1] >= 0x80 {
			return 0, 0, nil
		}
		msg := make([]byte, h[1])
		if _, err := io.ReadFull(c.r, msg); err != nil || len(msg) < 5 {
			return 0, 0, nil
		}
		return msg[2], msg[3], msg[5:]
	}
	return func(s *textServer, c *textConn) {
		if !s.implicit {
			id, op, body := read(c)
			if op != 0x77 || !bytes.Contains(body, []byte("1.3.6.1.4.1.1466.20037")) {
				return
			}
			if noTLS {
				c.Write(result(id, 0x78, 2, "unsupported extended operation"))
				return
			}
			c.Write(result(id, 0x78, 0, ""))
			if !s.upgrade(c) {
				return
			}
		}
		who := ""
		for {
			id, op, body := read(c)
			switch {
			case op == 0x60 && bytes.Contains(body, []byte("EXTERNAL")) && c.cn() == "joe-ec":
				who = "dn:cn=joe-ec,dc=test"
				c.Write(result(id, 0x61, 0, ""))
			case op == 0x60:
				c.Write(result(id, 0x61, 49, "SASL(-13): user not found: no entry for "+c.cn()))
			case op == 0x77:
				c.Write(result(id, 0x78, 0, "", long(0x8b, []byte(who))...))
			default:
				return // unbind, or a broken message
			}
		}
	}
}

func xmppServer(noTLS bool) func(*textServer, *textConn) {
	header := func(c *textConn) bool {
		var b []byte
		for !bytes.HasSuffix(b, []byte("streams'>")) {
			ch, err := c.r.ReadByte()
			if err != nil || len(b) > 1000 {
				return false
			}
			b = append(b, ch)
		}
		io.WriteString(c, "<?xml version='1.0'?><stream:stream from='test' id='1' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>")
		return true
	}
	return func(s *textServer, c *textConn) {
		if !header(c) {
			return
		}
		if noTLS {
			io.WriteString(c, "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>")
			return
		}
		io.WriteString(c, "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>")
		want := "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
		got := make([]byte, len(want))
		if _, err := io.ReadFull(c.r, got); err != nil || string(got) != want {
			return
		}
		io.WriteString(c, "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
		if !s.upgrade(c) || !header(c) {
			return
		}
		if c.cn() != "joe-ec" {
			io.WriteString(c, "<stream:error><policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>")
			return
		}
		io.WriteString(c, "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>EXTERNAL</mechanism><mechanism>PLAIN</mechanism></mechanisms></stream:features>")
		c.line()
	}
}

func TestDirectoryFileChatProtocols(t *testing.T) {
	f := newFixture(t)
	type proto struct {
		scheme   string
		implicit bool
		server   func(noTLS bool) func(*textServer, *textConn)
		opts     tlsengine.Options // for the identity cases
		ok       string
		refused  protoCase // the application's refusal of joe-rsa
	}
	for _, p := range []proto{
		{scheme: "ftp", server: ftpServer, opts: tlsengine.Options{User: "joe-ec"}, ok: "232 logged in by the certificate",
			refused: protoCase{opts: tlsengine.Options{User: "joe-ec"}, want: tlsengine.ClientCertRejected, app: "530 USER certificate joe-rsa does not match user joe-ec"}},
		{scheme: "ldap", server: ldapServer, opts: tlsengine.Options{SASLExternal: true}, ok: "0 bind: success; the server knows this connection as dn:cn=joe-ec,dc=test",
			refused: protoCase{opts: tlsengine.Options{SASLExternal: true}, want: tlsengine.ClientCertRejected, app: "49 bind: invalidCredentials: SASL(-13): user not found"}},
		{scheme: "ldaps", implicit: true, server: ldapServer, opts: tlsengine.Options{SASLExternal: true}, ok: "0 bind: success",
			refused: protoCase{opts: tlsengine.Options{SASLExternal: true}, want: tlsengine.ClientCertRejected, app: "49 bind"}},
		{scheme: "xmpp", server: xmppServer, ok: "stream features SASL EXTERNAL PLAIN",
			refused: protoCase{want: tlsengine.ClientCertRejected, summary: "stream error policy-violation"}},
	} {
		addr := startTextServer(t, f, p.implicit, p.server(false))
		p.refused.client, p.refused.phase = cert(f.clientRSA), tlsengine.PhaseResponse
		cases := map[string]protoCase{
			"good identity":                   {client: cert(f.clientEC), opts: p.opts, app: p.ok},
			"no identity":                     {want: tlsengine.ClientCertRequired, phase: tlsengine.PhaseHandshake},
			"rogue identity":                  {client: cert(f.clientRogue), want: tlsengine.ClientCertUnknownCA, phase: tlsengine.PhaseHandshake},
			"expired":                         {client: cert(f.clientExpired), want: tlsengine.ClientCertExpired, phase: tlsengine.PhaseHandshake},
			"TLS accepts, the server refuses": p.refused,
		}
		for name, c := range cases {
			t.Run(p.scheme+"/"+name, func(t *testing.T) {
				c.url = p.scheme + "://" + addr
				c.run(t, f)
			})
		}
		if !p.implicit {
			t.Run(p.scheme+"/no TLS offered", func(t *testing.T) {
				protoCase{url: p.scheme + "://" + startTextServer(t, f, false, p.server(true)), client: cert(f.clientEC),
					want: tlsengine.NotTLS, phase: tlsengine.PhasePreamble, summary: "TLS"}.run(t, f)
			})
		}
	}
	t.Run("ftp/a password next", func(t *testing.T) {
		protoCase{url: "ftp://" + startTextServer(t, f, false, ftpServer(false)), client: cert(f.clientEC),
			opts: tlsengine.Options{User: "pw"}, app: "asks next for a password"}.run(t, f)
	})
	t.Run("ldap/no bind asked", func(t *testing.T) {
		protoCase{url: "ldap://" + startTextServer(t, f, false, ldapServer(false)), client: cert(f.clientEC),
			app: "the server knows this connection as anonymous"}.run(t, f)
	})
}
