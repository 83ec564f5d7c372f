package realserver_test

import (
	"crypto/tls"
	"fmt"
	"io"
	"testing"

	"github.com/mtlswb/mtlswb/tlsengine/realserver"
)

func TestMosquitto(t *testing.T) {
	t.Parallel()
	f := pkiFixture(t)
	srv := realserver.StartMosquitto(t, realserver.MosquittoConfig{TLS: f.tlsConfig(), Verify: realserver.VerifyRequired})
	t.Logf("mosquitto started in %s", srv.StartUp)
	t.Run("good client", func(t *testing.T) {
		code, err := mqttConnect(t, srv.Addr, f.clientTLS(&f.client, 0))
		if err != nil || code != 0 {
			t.Errorf("CONNACK return code %d, %v; want 0 (accepted)\n%s", code, err, srv.Logs())
		}
	})
	// require_certificate true: the broker fails the handshake.
	t.Run("no client certificate", func(t *testing.T) {
		_, err := mqttConnect(t, srv.Addr, f.clientTLS(nil, tls.VersionTLS12))
		if err == nil {
			t.Errorf("connected without a certificate\n%s", srv.Logs())
		}
	})
}

// mqttConnect does the TLS handshake with cfg, sends an MQTT 3.1.1 CONNECT
// and returns CONNACK's return code (0 is accepted).
func mqttConnect(t *testing.T, addr string, cfg *tls.Config) (byte, error) {
	raw := dialRaw(t, addr)
	c := tls.Client(raw, cfg)
	if err := c.Handshake(); err != nil {
		return 0, err
	}
	// Variable header: protocol name "MQTT", level 4, flags clean session,
	// keep-alive 30 s; payload: client id "smoke".
	body := []byte{0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 30, 0, 5, 's', 'm', 'o', 'k', 'e'}
	if _, err := c.Write(append([]byte{0x10, byte(len(body))}, body...)); err != nil {
		return 0, err
	}
	var ack [4]byte
	if _, err := io.ReadFull(c, ack[:]); err != nil {
		return 0, fmt.Errorf("read CONNACK: %w", err)
	}
	if ack[0] != 0x20 || ack[1] != 2 {
		return 0, fmt.Errorf("not a CONNACK: % x", ack)
	}
	return ack[3], nil
}
