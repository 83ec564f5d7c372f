package realserver_test

import (
	"bufio"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/realserver"
)

// pgChecks starts sessions on PostgreSQL (see TestSmoke). Its default
// pg_hba line is cert with clientcert=verify-full: the certificate's CN
// must be the user name.
func pgChecks(t *testing.T, f *fixture, srv *realserver.Server) {
	logins(t, f, srv, pgStartup, map[string]login{
		"good client": {client: &f.client, user: "client", is: "authentication ok"},
		// PostgreSQL asks for a certificate but lets the handshake finish
		// without one; pg_hba's cert method then refuses in words.
		"no client certificate": {user: "client", has: "connection requires a valid client certificate"},
		// The TLS layer accepts the certificate; pg_hba's cert method compares
		// its CN with the user name.
		"wrong user": {client: &f.client, user: "other", is: `certificate authentication failed for user "other"`},
	})
	t.Run("rogue client", func(t *testing.T) {
		// Read the verdict before sending anything: a startup message sent
		// after the server's alert and close draws a reset, which can
		// discard the unread alert. PostgreSQL says nothing else first.
		c, err := pgTLS(t, srv.Addr, f.clientTLS(&f.clientRogue, 0))
		if err == nil {
			_, err = c.Read(make([]byte, 1))
		}
		if alert, _ := tlsengine.AlertFromError(err); alert != 48 {
			t.Errorf("got %v; want alert 48 (unknown_ca)\n%s", err, srv.Logs())
		}
	})
}

// pgStartup sends an SSLRequest, does the TLS handshake with cfg, then a
// startup message for user, and returns the server's first answer in words:
// "authentication ok", "authentication request N" or the FATAL's message.
func pgStartup(t *testing.T, addr string, cfg *tls.Config, user string) (string, error) {
	c, err := pgTLS(t, addr, cfg)
	if err != nil {
		return "", err
	}
	// StartupMessage: length, protocol 3.0, then key\0value\0 pairs and \0.
	body := binary.BigEndian.AppendUint32(nil, 3<<16)
	for _, kv := range []string{"user", user, "database", "postgres"} {
		body = append(append(body, kv...), 0)
	}
	body = append(body, 0)
	msg := append(binary.BigEndian.AppendUint32(nil, uint32(len(body)+4)), body...)
	if _, err := c.Write(msg); err != nil {
		return "", err
	}
	r := bufio.NewReader(c)
	typ, err := r.ReadByte()
	if err != nil {
		return "", err
	}
	var n uint32
	if err := binary.Read(r, binary.BigEndian, &n); err != nil {
		return "", err
	}
	payload := make([]byte, n-4)
	if _, err := io.ReadFull(r, payload); err != nil {
		return "", err
	}
	switch typ {
	case 'R':
		if code := binary.BigEndian.Uint32(payload); code != 0 {
			return fmt.Sprintf("authentication request %d", code), nil
		}
		return "authentication ok", nil
	case 'E':
		// Fields: a type byte then a C string each; 'M' is the message.
		for _, field := range strings.Split(string(payload), "\x00") {
			if strings.HasPrefix(field, "M") {
				return field[1:], nil
			}
		}
		return string(payload), nil
	}
	return "", errors.New("unexpected message type " + string(typ))
}

// pgTLS sends an SSLRequest and does the TLS handshake with cfg.
func pgTLS(t *testing.T, addr string, cfg *tls.Config) (*tls.Conn, error) {
	raw := dialRaw(t, addr)
	// SSLRequest: length 8, code 80877103 (PostgreSQL protocol 53.2.9).
	if _, err := raw.Write(binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, 8), 80877103)); err != nil {
		return nil, err
	}
	var yes [1]byte
	if _, err := io.ReadFull(raw, yes[:]); err != nil {
		return nil, fmt.Errorf("answer to SSLRequest: %w", err)
	}
	if yes[0] != 'S' {
		return nil, fmt.Errorf("server refused TLS: %q", yes[0])
	}
	c := tls.Client(raw, cfg)
	return c, c.Handshake()
}
