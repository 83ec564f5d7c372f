package tlsengine_test

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/mtlswb/mtlswb/tlsengine"
)

// mqttBroker is an MQTT broker on 127.0.0.1 that requires a client
// certificate from the fixture's root and answers CONNECT as a broker with
// an ACL does: joe-ec may connect, anyone else is "not authorized". With
// only311 it is a broker that knows MQTT 3.1.1 only, and answers a
// version-5 CONNECT as 3.1.1 says (return code 1). It records the
// protocol level and client id of every CONNECT.
type mqttBroker struct {
	addr    string
	mu      sync.Mutex
	connect []string // "level client-id user"
}

func startMQTTBroker(t *testing.T, f *fixture, only311 bool) *mqttBroker {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(f.root.Cert)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{*cert(f.server)},
		ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool})
	if err != nil {
		t.Fatal(err)
	}
	b := &mqttBroker{addr: ln.Addr().String()}
	acceptAll(t, ln, func(c net.Conn) { b.serve(c.(*tls.Conn), only311) })
	return b
}

func (b *mqttBroker) serve(c *tls.Conn, only311 bool) {
	r := bufio.NewReader(c)
	typ, err := r.ReadByte()
	if err != nil || typ != 0x10 {
		return // a handshake that failed, or not MQTT: hang up
	}
	n, _ := r.ReadByte() // the tests' CONNECTs are short
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return
	}
	level, flags := body[6], body[7]
	rest := body[10:]
	if level == 5 {
		rest = rest[1:] // no properties
	}
	str := func() string {
		l := int(binary.BigEndian.Uint16(rest))
		s := string(rest[2 : 2+l])
		rest = rest[2+l:]
		return s
	}
	id, user := str(), ""
	if flags&0x80 != 0 {
		user = str()
	}
	b.mu.Lock()
	b.connect = append(b.connect, string('0'+level)+" "+id+" "+user)
	b.mu.Unlock()
	allowed := c.ConnectionState().PeerCertificates[0].Subject.CommonName == "joe-ec"
	switch {
	case level == 5 && only311:
		c.Write([]byte{0x20, 2, 0, 1})
	case level == 4 && allowed:
		c.Write([]byte{0x20, 2, 0, 0})
	case level == 4:
		c.Write([]byte{0x20, 2, 0, 5})
	case allowed:
		c.Write([]byte{0x20, 3, 0, 0, 0})
	default:
		reason := "not in the ACL"
		c.Write(append([]byte{0x20, byte(6 + len(reason)), 0, 0x87, byte(3 + len(reason)), 0x1F, 0, byte(len(reason))}, reason...))
	}
	_, _ = r.ReadByte() // DISCONNECT, or the client's close
}

func TestMQTT(t *testing.T) {
	f := newFixture(t)
	b5 := startMQTTBroker(t, f, false)
	b3 := startMQTTBroker(t, f, true)
	cases := map[string]struct {
		protoCase
		broker *mqttBroker
		seen   string // the broker's record of the last CONNECT, "" not checked
	}{
		"good identity": {protoCase{client: cert(f.clientEC), opts: tlsengine.Options{ClientID: "dev-1", User: "joe"},
			app: "0x00 CONNACK accepted (MQTT 5)"}, b5, "5 dev-1 joe"},
		"no identity":    {protoCase{want: tlsengine.ClientCertRequired, phase: tlsengine.PhaseHandshake}, b5, ""},
		"rogue identity": {protoCase{client: cert(f.clientRogue), want: tlsengine.ClientCertUnknownCA, phase: tlsengine.PhaseHandshake}, b5, ""},
		"expired":        {protoCase{client: cert(f.clientExpired), want: tlsengine.ClientCertExpired, phase: tlsengine.PhaseHandshake}, b5, ""},
		"TLS accepts, the ACL refuses": {protoCase{client: cert(f.clientRSA), want: tlsengine.ClientCertRejected, phase: tlsengine.PhaseResponse,
			app: "0x87 CONNACK not authorized: not in the ACL (MQTT 5)", summary: `does not authorize identity ` + "`x`" + `: “not authorized: not in the ACL”`}, b5, ""},
		"3.1.1 broker": {protoCase{client: cert(f.clientEC), opts: tlsengine.Options{ClientID: "dev-1"},
			app: "0 CONNACK accepted (MQTT 3.1.1)"}, b3, "4 dev-1 "},
		"3.1.1 broker refuses": {protoCase{client: cert(f.clientRSA), want: tlsengine.ClientCertRejected, phase: tlsengine.PhaseResponse,
			app: "5 CONNACK not authorized (MQTT 3.1.1)"}, b3, ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			c.url = "mqtts://" + c.broker.addr
			c.run(t, f)
			if c.seen != "" {
				c.broker.mu.Lock()
				last := c.broker.connect[len(c.broker.connect)-1]
				c.broker.mu.Unlock()
				if last != c.seen {
					t.Errorf("the broker saw CONNECT %q, want %q", last, c.seen)
				}
			}
		})
	}
}
