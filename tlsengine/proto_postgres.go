package tlsengine

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// postgresProtocol is PostgreSQL: postgres:// and postgresql://, as libpq
// spells its URIs. Before TLS the client sends an SSLRequest and the server
// answers one byte, S or N; after TLS a startup message names the user and
// database, and the server's first answers are its verdict on the
// identity: an authentication request, or a FATAL in its own words.
// PostgreSQL's messages are pgproto3's (pgx), which costs start-up nothing
// measurable (0.07 ms of init).
type postgresProtocol struct{ dbLogin }

// pgLogin: as in libpq, the database defaults to the user's name.
var pgLogin = dbLogin{dbIsUser: true}

func init() { register(postgresProtocol{pgLogin}, "postgres", "postgresql") }

var _ preambler = postgresProtocol{}

func (postgresProtocol) name() string     { return "PostgreSQL" }
func (postgresProtocol) defaultPort() int { return 5432 }

// alpn is what libpq 17 offers: PostgreSQL 17 refuses a TLS connection
// that offers other names, and older servers ignore it.
func (postgresProtocol) alpn() []string { return []string{"postgresql"} }

// pgSSLRequest is the SSLRequest message: its length and the code 1234/5679.
var pgSSLRequest = binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, 8), 80877103)

// preamble sends the SSLRequest and reads the server's one-byte answer from
// the socket itself, unbuffered: a byte past it would be plaintext
// injected ahead of TLS (CVE-2021-23222).
func (postgresProtocol) preamble(_ context.Context, c net.Conn, _ string) error {
	if _, err := c.Write(pgSSLRequest); err != nil {
		return fmt.Errorf("send the SSLRequest: %w", err)
	}
	var b [1]byte
	if _, err := io.ReadFull(c, b[:]); err != nil {
		return fmt.Errorf("read the answer to the SSLRequest: %w", err)
	}
	switch b[0] {
	case 'S':
		return nil
	case 'N':
		return &refusal{category: NotTLS, said: "N",
			summary: "the PostgreSQL server refused TLS: it answered N to the SSLRequest, so it has ssl = off",
			hints: []string{"turn TLS on in postgresql.conf (ssl = on, ssl_cert_file, ssl_key_file, ssl_ca_file for client certificates) and reload",
				"a client certificate can only be presented over TLS"}}
	case 'E':
		// A server too old for SSLRequest, or a proxy, answers an
		// ErrorResponse; its text is all there is to show.
		rest := readSome(c)
		return &refusal{category: NotTLS, said: string(append(b[:], rest...)),
			summary: "the server answered the SSLRequest with an error instead of S or N: it does not speak TLS the PostgreSQL way",
			hints:   []string{"check that this is a PostgreSQL server of version 7.2 or later, or a proxy that passes TLS through"}}
	}
	said := append(b[:], readSome(c)...)
	return otherProtocol("PostgreSQL's SSLRequest", said)
}

// readSome reads what the server sent already, up to 256 bytes, for a
// message: the connection's deadline bounds it.
func readSome(c net.Conn) []byte {
	buf := make([]byte, 256)
	n, _ := c.Read(buf)
	return buf[:n]
}

// exchange sends the startup message and reads until the server decides:
// ready for queries, a request for a password (where mtlswb stops), or an
// error.
func (postgresProtocol) exchange(ctx context.Context, a *attempt) (outcome, error) {
	tc, err := a.open(ctx)
	if err != nil {
		return outcome{}, err
	}
	defer tc.Close()
	user, db := pgLogin.names(a.req, a.tgt)
	fe := pgproto3.NewFrontend(tc, tc)
	fe.SetMaxBodyLen(1 << 20)
	fe.Send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber,
		Parameters: map[string]string{"user": user, "database": db, "application_name": "mtlswb"}})
	if err := fe.Flush(); err != nil {
		return outcome{}, err
	}
	a.setPhase(PhaseResponse)
	app := &Application{Protocol: "PostgreSQL"}
	authOK, version := false, ""
	for {
		msg, err := fe.Receive()
		if err != nil {
			if authOK {
				return outcome{app: app}, err
			}
			return outcome{}, err
		}
		next := ""
		switch m := msg.(type) {
		case *pgproto3.AuthenticationOk:
			authOK = true
			continue
		case *pgproto3.ParameterStatus:
			if m.Name == "server_version" {
				version = m.Value
			}
			continue
		case *pgproto3.ReadyForQuery:
			fe.Send(&pgproto3.Terminate{})
			_ = fe.Flush()
			app.Accepted = true
			app.Message = fmt.Sprintf("authentication ok: connected as user %q to database %q", user, db)
			if version != "" {
				app.Message += " (PostgreSQL " + version + ")"
			}
			return outcome{app: app}, nil
		case *pgproto3.ErrorResponse:
			app.Code, app.Message = m.Code, m.Message
			return outcome{app: app}, a.pgRefusal(m, user, db, authOK)
		case *pgproto3.AuthenticationCleartextPassword:
			next = "a password, in clear text"
		case *pgproto3.AuthenticationMD5Password:
			next = "a password (md5)"
		case *pgproto3.AuthenticationSASL:
			next = "a password (SASL " + strings.Join(m.AuthMechanisms, ", ") + ")"
		case *pgproto3.AuthenticationGSS:
			next = "Kerberos (GSSAPI)"
		default:
			continue // notices, key data, protocol negotiation
		}
		// The certificate passed whatever the server checks before a
		// password; mtlswb never sends one.
		app.Accepted = true
		app.Next = next
		app.Message = "the TLS connection and the certificate were accepted; the server asks next for " + app.Next +
			": mtlswb stops here (with clientcert=verify-full PostgreSQL compares the certificate's CN with the user only after the password)"
		return outcome{app: app}, nil
	}
}

// pgRefusal puts a FATAL in the client-certificate categories, quoting the
// server.
func (a *attempt) pgRefusal(m *pgproto3.ErrorResponse, user, db string, authOK bool) error {
	said := m.Severity + " " + m.Code + ": " + m.Message
	rf := &refusal{said: said}
	who, msg := a.identity(), safetext.Line(m.Message)
	switch {
	case strings.Contains(m.Message, "requires a valid client certificate"):
		rf.category = ClientCertRequired
		if a.req.ClientCert == nil {
			rf.summary = fmt.Sprintf("PostgreSQL requires a client certificate and none was sent: “%s”", msg)
			rf.hints = []string{"choose an identity (a client certificate and its key) for this server"}
		} else {
			rf.category = ClientCertRejected
			rf.summary = fmt.Sprintf("PostgreSQL did not take %s as a valid client certificate: “%s”", who, msg)
			rf.hints = []string{"the server may have no ssl_ca_file to check certificates with: see its log"}
		}
	case strings.Contains(m.Message, "certificate authentication failed"),
		strings.Contains(m.Message, "certificate is not valid for"):
		rf.category = ClientCertRejected
		cn := safetext.Line(a.req.certCN())
		rf.summary = fmt.Sprintf("PostgreSQL accepted %s for TLS but refused it for user %q: “%s”", who, safetext.Line(user), msg)
		rf.hints = []string{fmt.Sprintf("the cert method and clientcert=verify-full compare the certificate's CN (%q) with the user name: connect as --user %s", cn, shellQuote(cn)),
			"or map the CN to this user in pg_ident.conf (map=NAME on the pg_hba.conf line)"}
	case strings.Contains(m.Message, "no pg_hba.conf entry"):
		rf.category = HTTPForbidden
		rf.summary = fmt.Sprintf("PostgreSQL has no pg_hba.conf line that lets user %q reach database %q from here: “%s”", safetext.Line(user), safetext.Line(db), msg)
		rf.hints = []string{"add a hostssl line for this user, database and address (method cert) to pg_hba.conf and reload",
			"or connect as a user and database it allows (--user, --database)"}
	case m.Code == "28P01" || m.Code == "28000" && !authOK:
		rf.category = ClientCertRejected
		rf.summary = fmt.Sprintf("PostgreSQL refused %s for user %q: “%s”", who, safetext.Line(user), msg)
		rf.hints = []string{"the server's log has the reason it gives no client"}
	case m.Code == "28000" || m.Code == "3D000" || m.Code == "42501":
		rf.category = HTTPForbidden
		rf.summary = fmt.Sprintf("PostgreSQL accepted the certificate but refuses this connection: “%s”", msg)
		rf.hints = []string{"check the user (--user) and database (--database): they must exist and the user must be allowed to connect"}
	default:
		rf.category = HTTPError
		rf.summary = fmt.Sprintf("PostgreSQL refused the connection: “%s”", msg)
		rf.hints = []string{"the server's log says more"}
	}
	if m.Detail != "" {
		rf.hints = append(rf.hints, "the server adds: "+safetext.Line(m.Detail))
	}
	if m.Hint != "" {
		rf.hints = append(rf.hints, "the server's hint: "+safetext.Line(m.Hint))
	}
	return rf
}
