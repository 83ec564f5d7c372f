package tlsengine

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// mqttProtocol is MQTT over TLS: mqtts:// and mqtt+tls://. Brokers judge
// an identity twice: the TLS layer (require_certificate) and then CONNECT,
// whose CONNACK carries the verdict in a code (use_identity_as_username
// makes the certificate's CN the user name). It speaks MQTT 5 first, for
// its finer reason codes and reason string, and MQTT 3.1.1 to a broker that
// does not know 5. The two packets it needs are encoded here: a client
// library (paho) would cost a dependency tree for forty lines.
type mqttProtocol struct{}

func init() { register(mqttProtocol{}, "mqtts", "mqtt+tls") }

func (mqttProtocol) options() []option { return []option{optUser, optClientID} }

func (mqttProtocol) name() string     { return "MQTT" }
func (mqttProtocol) defaultPort() int { return 8883 }

// alpn is none: MQTT has no registered name, and brokers that route by
// ALPN use names of their own.
func (mqttProtocol) alpn() []string { return nil }

func (mqttProtocol) check(r Request, t target) error {
	if p, _ := t.urlPath(); p != "" || t.url != nil && t.url.RawQuery != "" {
		return fmt.Errorf("URL %q has a path: an MQTT URL names only [user@]host:port", safetext.Line(redactURL(r.URL)))
	}
	if len(r.Options.ClientID) > 65535 || len(r.Options.User) > 65535 {
		return errors.New("the client id and user name must be shorter than 64 KiB")
	}
	return checkOnly(r, t)
}

func (mqttProtocol) echo(r Request, info RequestInfo) RequestInfo {
	t, _ := r.parseTarget()
	if o := (Options{User: firstOf(r.Options.User, t.urlUser()), ClientID: r.Options.ClientID}); o != (Options{}) {
		o.User, o.ClientID = safetext.Line(o.User), safetext.Line(o.ClientID)
		info.Options = &o
	}
	return info
}

// MQTT protocol levels.
const (
	mqtt311 = 4
	mqtt5   = 5
)

// mqttConnect encodes CONNECT: a clean session, 30 s keep-alive, the
// client id and, when given, a user name.
func mqttConnect(level byte, clientID, user string) []byte {
	flags := byte(0x02) // clean session / clean start
	if user != "" {
		flags |= 0x80
	}
	body := append([]byte{0, 4, 'M', 'Q', 'T', 'T', level, flags}, 0, 30)
	if level >= mqtt5 {
		body = append(body, 0) // no properties
	}
	body = mqttString(body, clientID)
	if user != "" {
		body = mqttString(body, user)
	}
	return append(mqttLength([]byte{0x10}, len(body)), body...)
}

func mqttString(b []byte, s string) []byte {
	return append(binary.BigEndian.AppendUint16(b, uint16(len(s))), s...)
}

// mqttLength appends MQTT's variable-length integer.
func mqttLength(b []byte, n int) []byte {
	for {
		d := byte(n % 128)
		n /= 128
		if n > 0 {
			d |= 0x80
		}
		b = append(b, d)
		if n == 0 {
			return b
		}
	}
}

func readMQTTLength(r io.ByteReader) (int, error) {
	n, shift := 0, 0
	for i := 0; i < 4; i++ {
		d, err := r.ReadByte()
		if err != nil {
			return 0, err
		}
		n |= int(d&0x7f) << shift
		if d&0x80 == 0 {
			return n, nil
		}
		shift += 7
	}
	return 0, errors.New("malformed MQTT packet length")
}

// connack is what a CONNACK said.
type connack struct {
	code   byte
	reason string // MQTT 5's reason string property, if sent
	level  byte   // the protocol level it answered in
}

// readConnack reads the broker's first packet, which must be a CONNACK.
// A 3.1.1 broker answers a version-5 CONNECT in 3.1.1's two bytes.
func readConnack(r *bufio.Reader, level byte) (connack, error) {
	typ, err := r.ReadByte()
	if err != nil {
		return connack{}, err
	}
	n, err := readMQTTLength(r)
	if err != nil {
		return connack{}, err
	}
	if typ != 0x20 || n < 2 || n > 1<<16 {
		head := append([]byte{typ}, mqttLength(nil, n)...)
		rest, _ := r.Peek(min(r.Buffered(), 64))
		return connack{}, otherProtocol("MQTT's CONNECT", append(head, rest...))
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return connack{}, err
	}
	ack := connack{code: body[1], level: level}
	if level < mqtt5 || n == 2 {
		ack.level = mqtt311
		return ack, nil
	}
	props := body[2:]
	plen, err := readMQTTLength(bytesReader(props))
	if err != nil {
		return ack, nil
	}
	props = props[len(mqttLength(nil, plen)):]
	// The reason string is the only property read, and brokers send it
	// first; another first property leaves it unread.
	if plen >= 3 && len(props) >= 3 && props[0] == 0x1F {
		if l := int(binary.BigEndian.Uint16(props[1:])); 3+l <= len(props) {
			ack.reason = string(props[3 : 3+l])
		}
	}
	return ack, nil
}

type byteSlice struct{ b []byte }

func (s *byteSlice) ReadByte() (byte, error) {
	if len(s.b) == 0 {
		return 0, io.EOF
	}
	c := s.b[0]
	s.b = s.b[1:]
	return c, nil
}

func bytesReader(b []byte) *byteSlice { return &byteSlice{b} }

// mqttCodes names CONNACK's codes: MQTT 3.1.1's return codes, and MQTT 5's
// reason codes (from 0x80).
var mqttCodes = map[byte]string{
	0: "accepted", 1: "unacceptable protocol version", 2: "identifier rejected", 3: "server unavailable",
	4: "bad user name or password", 5: "not authorized",
	0x80: "unspecified error", 0x81: "malformed packet", 0x82: "protocol error", 0x83: "implementation specific error",
	0x84: "unsupported protocol version", 0x85: "client identifier not valid", 0x86: "bad user name or password",
	0x87: "not authorized", 0x88: "server unavailable", 0x89: "server busy", 0x8A: "banned",
	0x8C: "bad authentication method", 0x95: "packet too large", 0x97: "quota exceeded",
	0x9C: "use another server", 0x9D: "server moved", 0x9F: "connection rate exceeded",
}

func (c connack) words() string {
	w, ok := mqttCodes[c.code]
	if !ok || (c.level < mqtt5 && c.code > 5) {
		w = "unknown code"
	}
	if c.reason != "" {
		w += ": " + c.reason
	}
	return w
}

func (mqttProtocol) exchange(ctx context.Context, a *attempt) (outcome, error) {
	ack, err := a.mqttConnect(ctx, mqtt5)
	if err == nil && (ack.code == 0x84 || ack.level == mqtt311 && ack.code == 1) {
		ack, err = a.mqttConnect(ctx, mqtt311) // a broker that speaks 3.1.1 only
	}
	if err != nil {
		return outcome{}, err
	}
	version := "MQTT 5"
	if ack.level == mqtt311 {
		version = "MQTT 3.1.1"
	}
	app := &Application{Protocol: "MQTT", Accepted: ack.code == 0, Code: fmt.Sprintf("%d", ack.code),
		Message: "CONNACK " + ack.words() + " (" + version + ")"}
	if ack.level >= mqtt5 {
		app.Code = fmt.Sprintf("0x%02x", ack.code)
	}
	if app.Accepted {
		return outcome{app: app}, nil
	}
	return outcome{app: app}, a.mqttRefusal(ack)
}

// mqttConnect connects, sends CONNECT at level and reads CONNACK, then
// disconnects.
func (a *attempt) mqttConnect(ctx context.Context, level byte) (connack, error) {
	tc, err := a.open(ctx)
	if err != nil {
		return connack{}, err
	}
	defer tc.Close()
	t, _ := a.req.parseTarget()
	id := a.req.Options.ClientID
	if id == "" {
		// Never a device's own id: the broker would disconnect the device.
		var b [4]byte
		_, _ = rand.Read(b[:])
		id = "mtlswb-" + hex.EncodeToString(b[:])
	}
	if _, err := tc.Write(mqttConnect(level, id, firstOf(a.req.Options.User, t.urlUser()))); err != nil {
		return connack{}, err
	}
	a.setPhase(PhaseResponse)
	ack, err := readConnack(bufio.NewReader(tc), level)
	if err == nil && ack.code == 0 {
		_, _ = tc.Write([]byte{0xE0, 0}) // DISCONNECT
	}
	return ack, err
}

// mqttRefusal puts a refused CONNACK in the categories.
func (a *attempt) mqttRefusal(ack connack) error {
	words := safetext.Line(ack.words())
	rf := &refusal{said: "CONNACK " + words}
	who := a.identity()
	switch ack.code {
	case 4, 0x86, 0x8C:
		a.mu.Lock()
		sent := a.sent
		a.mu.Unlock()
		if a.req.ClientCert != nil && !sent {
			rf.category = ClientCertRequired
			rf.summary = fmt.Sprintf("the broker did not ask for a client certificate, so %s was not sent, and it refused the connection: “%s”", who, words)
			rf.hints = []string{"a broker that takes the user name from the certificate (use_identity_as_username) must ask for one: require_certificate true on its listener"}
			break
		}
		if a.req.ClientCert == nil {
			rf.category = ClientCertRequired
			rf.summary = fmt.Sprintf("the broker accepted TLS without a client certificate but refused the connection: “%s”", words)
			rf.hints = []string{"with use_identity_as_username the certificate's CN is the user name: choose an identity"}
		} else {
			rf.category = ClientCertRejected
			rf.summary = fmt.Sprintf("the broker accepted %s for TLS but refused it as a user: “%s”", who, words)
			rf.hints = []string{"the broker may check a password (give --user as it expects), or map certificates to users (use_identity_as_username, use_subject_as_username): see its configuration"}
		}
	case 5, 0x87, 0x8A:
		rf.category = ClientCertRejected
		if a.req.ClientCert == nil {
			rf.category = ClientCertRequired
		}
		rf.summary = fmt.Sprintf("the broker accepted the TLS connection but does not authorize %s: “%s”", who, words)
		rf.hints = []string{"the broker's access rules (ACL, plugin) do not let this identity connect: check them for the certificate's CN"}
	case 2, 0x85:
		rf.category = HTTPError
		rf.summary = fmt.Sprintf("the broker refused the client identifier: “%s”", words)
		rf.hints = []string{"give another one with --client-id (brokers may require a prefix or the certificate's CN)"}
	default:
		rf.category = HTTPError
		rf.summary = fmt.Sprintf("the broker refused the connection: “%s”", words)
		rf.hints = []string{"the broker's log says more"}
	}
	return rf
}
