package tlsengine

import (
	"strings"
)

// POP3: pop3:// greets and upgrades with STLS (RFC 2595); pop3s:// is TLS
// from the first byte (RFC 8314). Inside TLS the client asks for the
// capabilities (CAPA): the answer is the verdict.
var pop3 = &mailish{proto: "POP3", port: 110, tlsPort: 995,
	greet: func(s *session) error { return pop3Status(s, "the connection (a POP3 server greets first)") },
	upgrade: func(s *session) error {
		if err := s.send("STLS"); err != nil {
			return err
		}
		if err := pop3Status(s, "STLS"); err != nil {
			var rf *refusal
			if asRefusal(err, &rf) {
				rf.category = NotTLS
				rf.summary = "the POP3 server refused STLS: it does not offer TLS on this port"
				rf.hints = []string{"turn TLS on in the server, or use its implicit-TLS port: pop3s:// (port 995)"}
			}
			return err
		}
		return nil
	},
	after: func(s *session) (*Application, error) {
		if err := s.send("CAPA"); err != nil {
			return nil, err
		}
		if err := pop3Status(s, "CAPA"); err != nil {
			return &Application{Code: "-ERR"}, err
		}
		var caps []string
		for range maxLines {
			l, err := s.line()
			if err != nil {
				return nil, err
			}
			if l == "." {
				break
			}
			caps = append(caps, l)
		}
		_ = s.send("QUIT")
		return &Application{Accepted: true, Code: "+OK", Message: "CAPA " + strings.Join(caps, ", ")}, nil
	},
}

func init() { registerMailish(pop3, "pop3", "pop3s") }

// pop3Status reads a +OK or -ERR line; -ERR is a refusal.
func pop3Status(s *session, asked string) error {
	l, err := s.line()
	if err != nil {
		return err
	}
	switch {
	case strings.HasPrefix(l, "+OK"):
		return nil
	case strings.HasPrefix(l, "-ERR"):
		return &refusal{category: HTTPError, said: l, summary: "the POP3 server answered " + asked + " with -ERR",
			hints: []string{"the server's log says why"}}
	}
	return otherProtocol(asked, []byte(l))
}
