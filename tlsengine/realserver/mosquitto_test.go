package realserver_test

import (
	"crypto/tls"
	"fmt"
	"io"
	"testing"

	"github.com/mtlswb/mtlswb/tlsengine/realserver"
)

// mqttChecks connects to mosquitto and subscribes (see TestSmoke).
func mqttChecks(t *testing.T, f *fixture, srv *realserver.Server) {
	for name, c := range map[string]struct{ topic, want string }{
		"good client": {"sensors/1", "accepted"},
		// The certificate's CN is the user name, and the ACL does not cover
		// this topic; mosquitto 2.0 grants the subscription anyway and
		// filters at delivery, so MQTT 3.1.1 shows no verdict for an ACL.
		"topic outside the ACL": {"secret/1", "granted, filtered later"},
	} {
		t.Run(name, func(t *testing.T) {
			code, sub, err := mqttSession(t, srv.Addr, f.clientTLS(&f.client, 0), c.topic)
			if err != nil || code != 0 || sub != 0 {
				t.Errorf("CONNACK %d, SUBACK %#x, %v; want both 0 (%s)\n%s", code, sub, err, c.want, srv.Logs())
			}
		})
	}
	// require_certificate true: the broker fails the handshake.
	t.Run("no client certificate", func(t *testing.T) {
		_, _, err := mqttSession(t, srv.Addr, f.clientTLS(nil, tls.VersionTLS12), "")
		if err == nil {
			t.Errorf("connected without a certificate\n%s", srv.Logs())
		}
	})
}

// mqttOptional connects without a certificate to a broker that does not
// require one (see TestSmoke).
func mqttOptional(t *testing.T, f *fixture, srv *realserver.Server) {
	code, _, err := mqttSession(t, srv.Addr, f.clientTLS(nil, 0), "")
	if err != nil || code != 4 {
		t.Errorf("CONNACK %d, %v; want 4 (bad user name or password)\n%s", code, err, srv.Logs())
	}
}

// mqttSession does the TLS handshake with cfg, sends an MQTT 3.1.1 CONNECT
// and returns CONNACK's return code (0 is accepted); with a topic it then
// subscribes and returns SUBACK's code too (0x80 is refused).
func mqttSession(t *testing.T, addr string, cfg *tls.Config, topic string) (connack, suback byte, err error) {
	raw := dialRaw(t, addr)
	c := tls.Client(raw, cfg)
	if err := c.Handshake(); err != nil {
		return 0, 0, err
	}
	// Variable header: protocol name "MQTT", level 4, flags clean session,
	// keep-alive 30 s; payload: client id "smoke".
	body := []byte{0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 30, 0, 5, 's', 'm', 'o', 'k', 'e'}
	if _, err := c.Write(append([]byte{0x10, byte(len(body))}, body...)); err != nil {
		return 0, 0, err
	}
	var ack [4]byte
	if _, err := io.ReadFull(c, ack[:]); err != nil {
		return 0, 0, fmt.Errorf("read CONNACK: %w", err)
	}
	if ack[0] != 0x20 || ack[1] != 2 {
		return 0, 0, fmt.Errorf("not a CONNACK: % x", ack)
	}
	if topic == "" || ack[3] != 0 {
		return ack[3], 0, nil
	}
	// SUBSCRIBE: packet id 1, the topic, QoS 0.
	sub := append([]byte{0, 1, 0, byte(len(topic))}, topic...)
	sub = append(sub, 0)
	if _, err := c.Write(append([]byte{0x82, byte(len(sub))}, sub...)); err != nil {
		return ack[3], 0, err
	}
	var subAck [5]byte
	if _, err := io.ReadFull(c, subAck[:]); err != nil {
		return ack[3], 0, fmt.Errorf("read SUBACK: %w", err)
	}
	if subAck[0] != 0x90 {
		return ack[3], 0, fmt.Errorf("not a SUBACK: % x", subAck)
	}
	return ack[3], subAck[4], nil
}
