package realserver_test

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"io"
	"testing"

	"github.com/mtlswb/mtlswb/tlsengine/realserver"
)

// mysqlChecks logs in to MariaDB (see TestSmoke).
func mysqlChecks(t *testing.T, f *fixture, srv *realserver.Server) {
	logins(t, f, srv, mysqlLogin, map[string]login{
		"good client": {client: &f.client, user: "client", is: "ok"},
		// MariaDB does not need a certificate for TLS; REQUIRE X509 refuses
		// the login without one.
		"no client certificate": {user: "client", has: "error 1045 (28000): Access denied for user 'client'"},
		// The TLS layer accepts any certificate it verifies; REQUIRE SUBJECT
		// refuses this one in the server's own words.
		"wrong subject": {client: &f.client, user: "other", has: "Access denied for user 'other'"},
	})
}

// MySQL capability flags (MySQL client/server protocol, Capabilities).
const (
	clientLongPassword     = 1
	clientProtocol41       = 0x200
	clientSSL              = 0x800
	clientSecureConnection = 0x8000
	clientPluginAuth       = 0x80000
)

// mysqlLogin reads the server's greeting, asks for TLS with an SSLRequest
// packet, does the handshake with cfg and logs in as user without a
// password. It returns "ok" or the server's error packet in words.
func mysqlLogin(t *testing.T, addr string, cfg *tls.Config, user string) (string, error) {
	raw := dialRaw(t, addr)
	if _, _, err := readPacket(raw); err != nil {
		return "", fmt.Errorf("greeting: %w", err)
	}
	caps := uint32(clientLongPassword | clientProtocol41 | clientSSL | clientSecureConnection | clientPluginAuth)
	head := binary.LittleEndian.AppendUint32(nil, caps)
	head = binary.LittleEndian.AppendUint32(head, 1<<24) // max packet size
	head = append(head, 45)                              // utf8mb4_general_ci
	head = append(head, make([]byte, 23)...)
	if err := writePacket(raw, 1, head); err != nil {
		return "", err
	}
	c := tls.Client(raw, cfg)
	if err := c.Handshake(); err != nil {
		return "", err
	}
	login := append(append([]byte{}, head...), user...)
	login = append(login, 0, 0) // end of user name; empty auth response
	login = append(append(login, "mysql_native_password"...), 0)
	if err := writePacket(c, 2, login); err != nil {
		return "", err
	}
	_, p, err := readPacket(c)
	if err != nil {
		return "", err
	}
	switch {
	case len(p) > 0 && p[0] == 0x00:
		return "ok", nil
	case len(p) > 9 && p[0] == 0xff:
		// Error code, '#', SQLSTATE, message.
		return fmt.Sprintf("error %d (%s): %s", binary.LittleEndian.Uint16(p[1:3]), p[4:9], p[9:]), nil
	}
	return "", fmt.Errorf("unexpected answer % x", p)
}

func readPacket(r io.Reader) (byte, []byte, error) {
	var h [4]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	p := make([]byte, int(h[0])|int(h[1])<<8|int(h[2])<<16)
	_, err := io.ReadFull(r, p)
	return h[3], p, err
}

func writePacket(w io.Writer, seq byte, p []byte) error {
	var b bytes.Buffer
	b.Write([]byte{byte(len(p)), byte(len(p) >> 8), byte(len(p) >> 16), seq})
	b.Write(p)
	_, err := w.Write(b.Bytes())
	return err
}
