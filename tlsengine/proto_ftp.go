package tlsengine

import (
	"fmt"
	"strings"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// FTP: ftp:// greets and upgrades with AUTH TLS (RFC 4217). Inside TLS the
// client protects the data channel (PBSZ 0, PROT P); with --user it sends
// USER, whose answer says whether the certificate logged the user in (232),
// a password comes next (331), or the user is refused (530). mtlswb never
// sends a password.
var ftp = &mailish{proto: "FTP", port: 21, takes: []option{optUser},
	greet: func(s *session) error { return replyGreeting(s, "FTP", "the server's log says why") },
	upgrade: func(s *session) error {
		return replyStartTLS(s, "AUTH TLS", "234", "the FTP server refused AUTH TLS: it does not offer TLS on this port",
			"turn TLS on in the server (vsftpd: ssl_enable=YES; ProFTPD: TLSEngine on)")
	},
	after: func(s *session) (*Application, error) {
		var code string
		var lines []string
		for _, cmd := range []string{"PBSZ 0", "PROT P"} {
			var err error
			if code, lines, err = ftpCommand(s, cmd, "200"); err != nil {
				return &Application{Code: code, Message: strings.Join(lines, " ")}, err
			}
		}
		app := &Application{Accepted: true, Code: code, Message: "PROT P " + strings.Join(lines, " ")}
		if user := s.a.req.Options.User; user != "" {
			code, lines, err := ftpCommand(s, "USER "+user, "232", "331", "332", "230")
			app.Code, app.Message = code, "USER "+strings.Join(lines, " ")
			if err != nil {
				app.Accepted = false
				return app, err
			}
			switch code {
			case "232", "230":
				app.Message = "logged in by the certificate: " + strings.Join(lines, " ")
			default:
				app.Next = "a password (" + code + " " + strings.Join(lines, " ") + ")"
				app.Message = "the certificate was accepted; the server asks next for a password: mtlswb stops here"
			}
		}
		_ = s.send("QUIT")
		return app, nil
	},
}

func init() { registerMailish(ftp, "ftp", "") }

// ftpCommand sends cmd and wants one of the codes; another is a refusal.
func ftpCommand(s *session, cmd string, want ...string) (string, []string, error) {
	if err := s.send(cmd); err != nil {
		return "", nil, err
	}
	code, lines, err := s.reply()
	if err != nil {
		return code, lines, heard(strings.Fields(cmd)[0], lines, err)
	}
	for _, w := range want {
		if code == w {
			return code, lines, nil
		}
	}
	rf := &refusal{category: replyCategory(code), said: said(code, lines),
		summary: fmt.Sprintf("the FTP server refused %s with %s", strings.Fields(cmd)[0], code),
		hints:   []string{"the server's log says why"}}
	if code == "530" && strings.HasPrefix(cmd, "USER") {
		rf.category = ClientCertRejected
		if s.a.req.ClientCert == nil {
			rf.category = ClientCertRequired
		}
		rf.summary = fmt.Sprintf("the FTP server accepted TLS but refused user %q: “%s”", safetext.Line(s.a.req.Options.User), safetext.Line(strings.Join(lines, " ")))
		rf.hints = []string{"servers that log users in by certificate (vsftpd's require_cert, ProFTPD's TLSOptions AllowDotLogin) compare the certificate with the user: check its CN"}
	}
	return code, lines, rf
}
