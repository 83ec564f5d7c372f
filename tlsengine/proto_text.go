package tlsengine

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// The mail, directory, file and chat protocols (SMTP, IMAP, POP3, LDAP,
// FTP, XMPP) come in two forms: a plaintext port where a command upgrades
// the connection (STARTTLS) and, for most, a port with TLS from the first
// byte (smtps://). mailish describes one; its two forms are the protocols
// upgraded (with a preamble) and implicit (without), so each scheme gets
// the phases it needs and the protocol's code is written once.

// mailish is one such protocol.
type mailish struct {
	proto         string // its name: "SMTP"
	port, tlsPort int    // the plaintext port, and the implicit-TLS one (0: none)
	takes         []option
	// greet reads the server's greeting, which comes first in either form:
	// in plaintext before the upgrade, or inside TLS on the implicit-TLS
	// port. nil: the client speaks first.
	greet func(s *session) error
	// upgrade runs in plaintext after the greeting: the capability check
	// and the command that starts TLS. It refuses in the protocol's words.
	upgrade func(s *session) error
	// after runs inside TLS (after the greeting on the implicit-TLS port).
	// It returns the server's answer; an error with it is a refusal of the
	// identity or the request.
	after func(s *session) (*Application, error)
}

// session is a connection with a line reader, for a protocol's commands.
type session struct {
	c    net.Conn
	r    *bufio.Reader
	a    *attempt // nil in the preamble
	host string   // the server name, for protocols that name it (XMPP)
}

func newSession(c net.Conn, host string) *session {
	return &session{c: c, r: bufio.NewReaderSize(c, 4096), host: host}
}

// maxLine bounds a reply line; maxLines a multi-line reply.
const (
	maxLine  = 4096
	maxLines = 200
)

// line reads one line without its CR LF.
func (s *session) line() (string, error) {
	var b []byte
	for {
		chunk, more, err := s.r.ReadLine()
		b = append(b, chunk...)
		if err != nil {
			return string(b), err
		}
		if len(b) > maxLine {
			return "", errors.New("a reply line longer than 4 KiB")
		}
		if !more {
			return string(b), nil
		}
	}
}

// send writes a command line.
func (s *session) send(cmd string) error {
	_, err := io.WriteString(s.c, cmd+"\r\n")
	return err
}

// reply reads an SMTP or FTP reply: "250-..." lines go on, "250 ..." ends
// it. It returns the code and the text of every line.
func (s *session) reply() (string, []string, error) {
	var lines []string
	for len(lines) < maxLines {
		l, err := s.line()
		if err != nil {
			return "", lines, err
		}
		if len(l) < 3 || !isDigits(l[:3]) {
			return "", append(lines, l), errNotReply
		}
		lines = append(lines, strings.TrimSpace(l[min(len(l), 4):]))
		if len(l) == 3 || l[3] != '-' {
			return l[:3], lines, nil
		}
	}
	return "", lines, errors.New("a reply of more than 200 lines")
}

var errNotReply = errors.New("not a numbered reply")

// said is a numbered reply as the server said it, for a refusal.
func said(code string, lines []string) string { return code + " " + strings.Join(lines, " ") }

// replyGreeting reads the 220 greeting of an SMTP or FTP server; another
// code is the server turning this client away before a word, and hint says
// where to look.
func replyGreeting(s *session, proto, hint string) error {
	code, lines, err := s.reply()
	if err != nil {
		return heard("the connection (an "+proto+" server greets first)", lines, err)
	}
	if code != "220" {
		return &refusal{category: ConnectionRefused, said: said(code, lines),
			summary: fmt.Sprintf("the %s server turned the connection away in its greeting (%s)", proto, code),
			hints:   []string{hint}}
	}
	return nil
}

// replyStartTLS sends cmd, the command that starts TLS, and wants goAhead;
// another code is a refusal: not TLS, in summary's words and with hint.
func replyStartTLS(s *session, cmd, goAhead, summary, hint string) error {
	if err := s.send(cmd); err != nil {
		return err
	}
	code, lines, err := s.reply()
	if err != nil {
		return heard(cmd, lines, err)
	}
	if code != goAhead {
		return &refusal{category: NotTLS, said: said(code, lines), summary: summary, hints: []string{hint}}
	}
	return nil
}

func isDigits(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }) < 0
}

// noInjection refuses bytes the server sent after its go-ahead to start
// TLS: plaintext there would pass for protected data (CVE-2011-0411).
func (s *session) noInjection() error {
	if s.r.Buffered() == 0 {
		return nil
	}
	peek, _ := s.r.Peek(min(s.r.Buffered(), 64))
	return &refusal{category: NotTLS, said: string(peek),
		summary: "the server sent plaintext after its go-ahead for TLS: mtlswb stops, as a client must (STARTTLS command injection, CVE-2011-0411)",
		hints:   []string{"something between you and the server may be tampering with the connection: try from another network"}}
}

// heard words a reply that is not the protocol's: another protocol's
// greeting, or noise.
func heard(asked string, lines []string, err error) error {
	if errors.Is(err, errNotReply) || err == nil {
		return otherProtocol(asked, []byte(strings.Join(lines, "\n")))
	}
	return err
}

// upgraded is the form with STARTTLS: smtp://, imap://...
type upgraded struct{ *mailish }

// implicit is the form with TLS from the first byte: smtps://, imaps://...
type implicit struct{ *mailish }

var _ preambler = upgraded{}

func (m *mailish) name() string      { return m.proto }
func (m *mailish) alpn() []string    { return nil }
func (m *mailish) options() []option { return m.takes }
func (m *mailish) echo(r Request, i RequestInfo) RequestInfo {
	if o := (Options{User: safetext.Line(r.Options.User), SASLExternal: r.Options.SASLExternal}); o != (Options{}) {
		i.Options = &o
	}
	return i
}

func (m *mailish) check(r Request, t target) error {
	if p, _ := t.urlPath(); p != "" {
		return fmt.Errorf("URL %q has a path: a %s URL names only host:port", safetext.Line(redactURL(r.URL)), m.proto)
	}
	return checkOnly(r, t)
}

func (u upgraded) defaultPort() int { return u.port }
func (i implicit) defaultPort() int { return i.tlsPort }

func (u upgraded) preamble(_ context.Context, c net.Conn, serverName string) error {
	s := newSession(c, serverName)
	if err := u.greeting(s); err != nil {
		return err
	}
	if err := u.upgrade(s); err != nil {
		return err
	}
	return s.noInjection()
}

func (u upgraded) exchange(ctx context.Context, a *attempt) (outcome, error) {
	return u.talk(ctx, a, true)
}

func (i implicit) exchange(ctx context.Context, a *attempt) (outcome, error) {
	return i.talk(ctx, a, false)
}

// greeting reads the server's greeting, if the protocol has one.
func (m *mailish) greeting(s *session) error {
	if m.greet == nil {
		return nil
	}
	return m.greet(s)
}

// talk opens the connection and runs the protocol's part inside TLS:
// greeted says the greeting was read already, before the upgrade.
func (m *mailish) talk(ctx context.Context, a *attempt, greeted bool) (outcome, error) {
	tc, err := a.open(ctx)
	if err != nil {
		return outcome{}, err
	}
	defer tc.Close()
	s := newSession(tc, a.tgt.serverName)
	s.a = a
	a.setPhase(PhaseResponse)
	if !greeted {
		if err := m.greeting(s); err != nil {
			return outcome{}, err
		}
	}
	app, err := m.after(s)
	if app != nil && (err == nil || refused(err)) { // an answer, not a broken connection
		app.Protocol = m.proto
		return outcome{app: app}, err
	}
	return outcome{}, err
}

// registerMailish registers both forms of m.
func registerMailish(m *mailish, scheme, tlsScheme string) {
	register(upgraded{m}, scheme)
	if tlsScheme != "" {
		register(implicit{m}, tlsScheme)
	}
}

// replyCategory puts a refused command's reply code in the categories: 530
// and 535 are "authenticate first", 550 and 554 a refusal of this client.
func replyCategory(code string) Category {
	switch code {
	case "530", "534", "535":
		return HTTPUnauthorized
	case "550", "553", "554", "521":
		return HTTPForbidden
	}
	return HTTPError
}

// asRefusal is errors.As for a *refusal.
func asRefusal(err error, rf **refusal) bool { return errors.As(err, rf) }
