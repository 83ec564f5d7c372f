package tlsengine_test

import (
	"net"
	"testing"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/tlstest"
)

// saying is a server that answers with answer and hangs up: at once when
// greets (it speaks first, like mail servers), else after the client spoke.
func saying(t *testing.T, answer string, greets bool) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	acceptAll(t, ln, func(c net.Conn) {
		if !greets {
			c.Read(make([]byte, 64))
		}
		c.Write([]byte(answer))
	})
	return ln.Addr().String()
}

// TestPreambleFailures: what goes wrong before TLS is said in the words of
// the protocol that was spoken, in the starttls phase.
func TestPreambleFailures(t *testing.T) {
	f := newFixture(t)
	client := cert(f.clientEC)
	for name, c := range map[string]protoCase{
		"postgres: SSL off": {url: "postgres://" + saying(t, "N", false), client: client, want: tlsengine.NotTLS,
			summary: "the PostgreSQL server refused TLS: it answered N to the SSLRequest"},
		"postgres: hangs up": {url: "postgres://" + saying(t, "", false), client: client, want: tlsengine.ConnectionReset,
			summary: "the server closed the connection during PostgreSQL's plaintext preamble, before TLS started"},
		"postgres: a mail server": {url: "postgres://" + saying(t, "220 mx.test ESMTP\r\n", false), client: client, want: tlsengine.NotTLS,
			summary: "does not speak PostgreSQL: it looks like SMTP", hint: "mtlswb send smtp://"},
		"smtp: an IMAP server": {url: "smtp://" + saying(t, "* OK IMAP4rev1 ready\r\n", true), client: client, want: tlsengine.NotTLS,
			summary: "does not speak SMTP: it looks like IMAP", hint: "mtlswb send imap://"},
		"mysql: noise": {url: "mysql://" + saying(t, "0 hello\r\n", true), client: client, want: tlsengine.NotTLS,
			summary: "the server's answer in the plaintext preamble, before TLS, is not MySQL"},
	} {
		t.Run(name, func(t *testing.T) {
			c.phase = tlsengine.PhasePreamble
			c.run(t, f)
		})
	}
	t.Run("silent server", func(t *testing.T) {
		r := tlsengine.Run(t.Context(), tlsengine.Request{URL: "imap://" + tlstest.StartSilent(t), ClientCert: client, Timeout: 300 * time.Millisecond})
		if r.Failure == nil || r.Failure.Category != tlsengine.HandshakeTimeout || r.Failure.Phase != tlsengine.PhasePreamble ||
			r.Failure.Summary != "the server accepted the connection but did not finish IMAP's plaintext preamble, before TLS, within 300ms" {
			t.Errorf("want a preamble timeout in IMAP's words:\n%s", dump(t, r))
		}
	})
}
