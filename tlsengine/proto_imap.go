package tlsengine

import (
	"errors"
	"strings"
)

// IMAP: imap:// greets and upgrades with STARTTLS (RFC 2595); imaps:// is
// TLS from the first byte (RFC 8314). Inside TLS the client asks for the
// capabilities: the answer is the verdict, and says whether the server
// would log in with the certificate (AUTH=EXTERNAL).
var imap = &mailish{proto: "IMAP", port: 143, tlsPort: 993, greet: imapGreeting,
	upgrade: func(s *session) error {
		caps, err := imapCommand(s, "a1", "CAPABILITY")
		if err != nil {
			return err
		}
		if !strings.Contains(" "+strings.ToUpper(caps)+" ", " STARTTLS ") {
			return &refusal{category: NotTLS, said: caps,
				summary: "the IMAP server does not offer STARTTLS: it cannot take a client certificate on this port",
				hints:   []string{"turn TLS on in the server, or use its implicit-TLS port: imaps:// (port 993)"}}
		}
		_, err = imapCommand(s, "a2", "STARTTLS")
		return err
	},
	after: func(s *session) (*Application, error) {
		caps, err := imapCommand(s, "a3", "CAPABILITY")
		if err != nil {
			return &Application{Message: caps}, err
		}
		_ = s.send("a4 LOGOUT")
		return &Application{Accepted: true, Code: "OK", Message: "CAPABILITY " + caps}, nil
	},
}

func init() { registerMailish(imap, "imap", "imaps") }

// imapGreeting reads "* OK"; "* BYE" turns the client away, "* PREAUTH"
// leaves no room for STARTTLS.
func imapGreeting(s *session) error {
	l, err := s.line()
	if err != nil {
		return err
	}
	switch up := strings.ToUpper(l); {
	case strings.HasPrefix(up, "* OK"):
		return nil
	case strings.HasPrefix(up, "* BYE"):
		return &refusal{category: ConnectionRefused, said: l, summary: "the IMAP server turned the connection away in its greeting",
			hints: []string{"the server's log says why"}}
	}
	return otherProtocol("the connection (an IMAP server greets first)", []byte(l))
}

// imapCommand sends tag cmd and reads to its tagged answer, returning the
// untagged data of the command's name (the capabilities) or the answer's
// text. A NO or BAD is a refusal.
func imapCommand(s *session, tag, cmd string) (string, error) {
	if err := s.send(tag + " " + cmd); err != nil {
		return "", err
	}
	data := ""
	for range maxLines {
		l, err := s.line()
		if err != nil {
			return data, err
		}
		if rest, ok := strings.CutPrefix(l, "* "+cmd+" "); ok {
			data = rest
			continue
		}
		rest, ok := strings.CutPrefix(l, tag+" ")
		if !ok {
			if !strings.HasPrefix(l, "* ") {
				return data, otherProtocol(cmd, []byte(l))
			}
			continue
		}
		status, text, _ := strings.Cut(rest, " ")
		if strings.EqualFold(status, "OK") {
			if data == "" {
				data = text
			}
			return data, nil
		}
		return text, &refusal{category: HTTPError, said: l,
			summary: "the IMAP server refused " + cmd + " (" + status + ")",
			hints:   []string{"the server's log says why"}}
	}
	return data, errors.New("an IMAP answer of more than 200 lines")
}
