package tlsengine

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// mysqlProtocol is MySQL and MariaDB: mysql://. The server speaks first, a
// handshake packet; the client answers with an SSL request (the start of
// its handshake response with the SSL flag) and TLS starts. Inside TLS the
// client logs in as a user without a password: the server's OK or error
// packet is the verdict (REQUIRE X509 and REQUIRE SUBJECT refuse in it
// with "Access denied"). mtlswb never sends a password: a request for one
// (an auth switch) ends the exchange with the certificate accepted so far.
// The packets are small enough to encode here.
type mysqlProtocol struct{ dbLogin }

func init() { register(mysqlProtocol{}, "mysql") }

var _ preambler = mysqlProtocol{}

func (mysqlProtocol) name() string     { return "MySQL" }
func (mysqlProtocol) defaultPort() int { return 3306 }
func (mysqlProtocol) alpn() []string   { return nil }

// Capability flags (MySQL client/server protocol).
const (
	mysqlLongPassword     = 1
	mysqlConnectWithDB    = 8
	mysqlProtocol41       = 0x200
	mysqlSSL              = 0x800
	mysqlSecureConnection = 0x8000
	mysqlPluginAuth       = 0x80000
)

const mysqlCaps = mysqlLongPassword | mysqlProtocol41 | mysqlSSL | mysqlSecureConnection | mysqlPluginAuth

// mysqlHead is the handshake response's fixed part: capabilities, maximum
// packet size, utf8mb4, 23 bytes of filler.
func mysqlHead(caps uint32) []byte {
	b := binary.LittleEndian.AppendUint32(nil, caps)
	b = binary.LittleEndian.AppendUint32(b, 1<<24)
	return append(append(b, 45), make([]byte, 23)...)
}

func mysqlWrite(w io.Writer, seq byte, payload []byte) error {
	n := len(payload)
	_, err := w.Write(append([]byte{byte(n), byte(n >> 8), byte(n >> 16), seq}, payload...))
	return err
}

// mysqlRead reads one packet (at most 1 MiB).
func mysqlRead(r io.Reader) ([]byte, error) {
	var h [4]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, err
	}
	n := int(h[0]) | int(h[1])<<8 | int(h[2])<<16
	if n > 1<<20 {
		return h[:], errors.New("a MySQL packet over 1 MiB")
	}
	p := make([]byte, n)
	_, err := io.ReadFull(r, p)
	return p, err
}

// mysqlError is an error packet: code, SQLSTATE, message.
type mysqlError struct {
	code     int
	state    string
	message  string
	greeting bool // sent instead of the handshake packet
}

func parseMySQLError(p []byte) mysqlError {
	e := mysqlError{}
	if len(p) >= 3 {
		e.code = int(binary.LittleEndian.Uint16(p[1:3]))
		p = p[3:]
	}
	if len(p) >= 6 && p[0] == '#' {
		e.state, p = string(p[1:6]), p[6:]
	}
	e.message = string(p)
	return e
}

func (e mysqlError) words() string {
	s := "error " + strconv.Itoa(e.code)
	if e.state != "" {
		s += " (" + e.state + ")"
	}
	return s + ": " + e.message
}

// preamble reads the handshake packet and asks for TLS. It reads the
// socket unbuffered, packet by packet: nothing past the greeting is read.
func (mysqlProtocol) preamble(_ context.Context, c net.Conn, _ string) error {
	p, err := mysqlRead(c)
	if err != nil {
		return err
	}
	switch {
	case len(p) > 0 && p[0] == 0xff:
		e := parseMySQLError(p)
		return &refusal{category: ConnectionRefused, said: e.words(),
			summary: "the MySQL server turned the connection away before the handshake: " + strconv.Quote(safetext.Line(e.message)),
			hints:   []string{"the server refuses this client's address (a host not allowed, too many connections): see its grants and log"}}
	case len(p) < 1 || p[0] != 10:
		return otherProtocol("the connection (a MySQL server greets first)", p[:min(len(p), 64)])
	}
	version, rest, _ := strings.Cut(string(p[1:]), "\x00")
	// connection id (4), scramble (8), filler (1), capabilities (2).
	if len(rest) < 15 {
		return fmt.Errorf("a MySQL handshake packet too short (%d bytes)", len(p))
	}
	if binary.LittleEndian.Uint16([]byte(rest[13:15]))&mysqlSSL == 0 {
		return &refusal{category: NotTLS, said: "server " + version + " without the SSL capability",
			summary: "the MySQL server does not offer TLS: it has no certificate (have_ssl is DISABLED)",
			hints:   []string{"give the server ssl_cert, ssl_key and ssl_ca, and restart it: client certificates need TLS"}}
	}
	return mysqlWrite(c, 1, mysqlHead(mysqlCaps))
}

func (mysqlProtocol) exchange(ctx context.Context, a *attempt) (outcome, error) {
	tc, err := a.open(ctx)
	if err != nil {
		return outcome{}, err
	}
	defer tc.Close()
	user, db := dbLogin{}.names(a.req, a.tgt)
	caps := uint32(mysqlCaps)
	if db != "" {
		caps |= mysqlConnectWithDB
	}
	login := append(mysqlHead(caps), user...)
	login = append(login, 0, 0) // end of the user name; an empty auth response
	if db != "" {
		login = append(append(login, db...), 0)
	}
	login = append(append(login, "mysql_native_password"...), 0)
	if err := mysqlWrite(tc, 2, login); err != nil {
		return outcome{}, err
	}
	a.setPhase(PhaseResponse)
	p, err := mysqlRead(tc)
	if err != nil {
		return outcome{}, err
	}
	app := &Application{Protocol: "MySQL"}
	switch {
	case len(p) > 0 && p[0] == 0x00:
		_ = mysqlWrite(tc, 0, []byte{0x01}) // COM_QUIT
		app.Accepted, app.Code = true, "OK"
		app.Message = fmt.Sprintf("logged in as user %q without a password", user)
		return outcome{app: app}, nil
	case len(p) > 0 && p[0] == 0xff:
		e := parseMySQLError(p)
		app.Code, app.Message = strconv.Itoa(e.code), e.message
		return outcome{app: app}, a.mysqlRefusal(e, user, db)
	case len(p) > 0 && (p[0] == 0xfe || p[0] == 0x01):
		// An auth switch (0xfe, the plugin's name next) or more data for
		// the plugin: the server wants a password.
		plugin := "the server's authentication plugin"
		if p[0] == 0xfe {
			if name, _, ok := strings.Cut(string(p[1:]), "\x00"); ok && name != "" {
				plugin = name
			}
		}
		app.Accepted, app.Code = true, fmt.Sprintf("0x%02x", p[0])
		app.Next = "a password (" + plugin + ")"
		app.Message = "the TLS connection and the certificate were accepted; the server asks next for " + app.Next + ": mtlswb stops here"
		return outcome{app: app}, nil
	}
	return outcome{}, otherProtocol("the MySQL login", p[:min(len(p), 64)])
}

// mysqlRefusal puts an error packet in the client-certificate categories.
func (a *attempt) mysqlRefusal(e mysqlError, user, db string) error {
	rf := &refusal{said: e.words()}
	msg := safetext.Line(e.message)
	switch e.code {
	case 1045: // Access denied: REQUIRE X509/SUBJECT/ISSUER, or a password
		if a.req.ClientCert == nil {
			rf.category = ClientCertRequired
			rf.summary = fmt.Sprintf("the server refused user %q without a client certificate: “%s”", safetext.Line(user), msg)
			rf.hints = []string{"a user created with REQUIRE X509 (or SUBJECT, ISSUER) needs one: choose an identity"}
		} else {
			rf.category = ClientCertRejected
			rf.summary = fmt.Sprintf("the server accepted %s for TLS but refused user %q: “%s”", a.identity(), safetext.Line(user), msg)
			rf.hints = []string{
				"the user's REQUIRE SUBJECT or ISSUER may not match this certificate, or the user needs a password (mtlswb sends none): see SHOW GRANTS and the server's log",
				fmt.Sprintf("the certificate's CN is %q: connect as the user it was made for with --user", safetext.Line(a.req.certCN())),
			}
		}
	case 1044, 1227:
		rf.category = HTTPForbidden
		rf.summary = fmt.Sprintf("the server accepted the login but denies access: “%s”", msg)
		rf.hints = []string{fmt.Sprintf("grant user %q access to database %q, or connect to another one (--database)", safetext.Line(user), safetext.Line(db))}
	case 1049:
		rf.category = HTTPError
		rf.summary = fmt.Sprintf("the database does not exist: “%s”", msg)
		rf.hints = []string{"name an existing database with --database, or none"}
	default:
		rf.category = HTTPError
		rf.summary = fmt.Sprintf("the server refused the login: “%s”", msg)
		rf.hints = []string{"the server's log says more"}
	}
	return rf
}
