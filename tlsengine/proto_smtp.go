package tlsengine

import (
	"fmt"
	"strings"
)

// SMTP: smtp:// greets, says EHLO and upgrades with STARTTLS (RFC 3207);
// smtps:// is TLS from the first byte (RFC 8314). Inside TLS the client
// says EHLO again and the server's answer is the verdict: mail servers
// that check client certificates (Postfix's smtpd_tls_req_ccert) refuse in
// the handshake, or later at relaying, which mtlswb does not try.
var smtp = &mailish{proto: "SMTP", port: 25, tlsPort: 465,
	greet: func(s *session) error {
		return replyGreeting(s, "SMTP", "the server refuses this client's address or is not accepting mail: see its log")
	},
	upgrade: func(s *session) error {
		_, exts, err := smtpEHLO(s)
		if err != nil {
			return err
		}
		if !hasWord(exts, "STARTTLS") {
			return &refusal{category: NotTLS, said: strings.Join(exts, " | "),
				summary: "the SMTP server does not offer STARTTLS: it cannot take a client certificate on this port",
				hints: []string{"turn STARTTLS on (Postfix: smtpd_tls_security_level = may, with a certificate and key)",
					"or use its implicit-TLS port: smtps:// (port 465)"}}
		}
		return replyStartTLS(s, "STARTTLS", "220", "the SMTP server refused STARTTLS",
			"its TLS setup may be broken (a missing certificate or key): see its log")
	},
	after: func(s *session) (*Application, error) {
		code, lines, err := smtpEHLO(s)
		if err != nil {
			return &Application{Accepted: false, Code: code, Message: strings.Join(lines, " ")}, err
		}
		_ = s.send("QUIT")
		app := &Application{Accepted: true, Code: code, Message: lines[0]}
		if mech := authMechs(lines); mech != "" {
			app.Message += "; AUTH " + mech
		}
		return app, nil
	},
}

func init() { registerMailish(smtp, "smtp", "smtps") }

// smtpEHLO says EHLO and returns the reply: the extensions when it is 250.
func smtpEHLO(s *session) (string, []string, error) {
	if err := s.send("EHLO mtlswb.invalid"); err != nil {
		return "", nil, err
	}
	code, lines, err := s.reply()
	if err != nil {
		return code, lines, heard("EHLO", lines, err)
	}
	if code != "250" {
		return code, lines, &refusal{category: replyCategory(code), said: said(code, lines),
			summary: fmt.Sprintf("the SMTP server refused EHLO with %s", code),
			hints:   []string{"the server's log says why it refuses this client"}}
	}
	return code, lines, nil
}

// hasWord says whether one of lines starts with word (an extension).
func hasWord(lines []string, word string) bool {
	for _, l := range lines {
		if f := strings.Fields(l); len(f) > 0 && strings.EqualFold(f[0], word) {
			return true
		}
	}
	return false
}

// authMechs is the AUTH extension's mechanisms, "" if none.
func authMechs(lines []string) string {
	for _, l := range lines {
		if f := strings.Fields(l); len(f) > 1 && strings.EqualFold(f[0], "AUTH") {
			return strings.Join(f[1:], " ")
		}
	}
	return ""
}
