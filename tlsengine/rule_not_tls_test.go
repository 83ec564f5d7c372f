package tlsengine

import (
	"crypto/tls"
	"strings"
	"testing"
)

func answered(first string) evOption {
	return func(e *evidence) {
		e.first = []byte(first)
		e.recordHeader = &tls.RecordHeaderError{}
		copy(e.recordHeader.RecordHeader[:], first)
	}
}

func TestNotTLSRule(t *testing.T) {
	checkRule(t, notTLSRule{}, map[string]ruleCase{
		"http":   {ev: ev(answered("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain")), want: []want{{NotTLS, Certain, `with "HTTP/1.1 400 Bad Request"`}}},
		"smtp":   {ev: ev(answered("220 mail.example ESMTP\r\n")), want: []want{{NotTLS, Certain, "220 mail"}}},
		"binary": {ev: ev(answered("\x00\x01\x1b[2J")), want: []want{{NotTLS, Certain, `"^@^A^[[2J"`}}},
		"tls":    {ev: ev()},
	})
	cases := map[string]struct {
		first, what, hint string
	}{
		"http":    {"HTTP/1.0 200 OK", "plain HTTP", "mtlswb speaks only TLS: `curl http://127.0.0.1:8443/`"},
		"html":    {"<html>", "plain HTTP", "mtlswb speaks only TLS: `curl http://127.0.0.1:8443/`"},
		"ssh":     {"SSH-2.0-OpenSSH_9.6", "SSH", ""},
		"smtp":    {"220 mx ESMTP", "an SMTP or FTP greeting", "STARTTLS"},
		"imap":    {"* OK IMAP4rev1", "IMAP", "STARTTLS"},
		"pop3":    {"+OK POP3", "POP3", "STARTTLS"},
		"unknown": {"\x15\x03\x01", "something that is not TLS", ""},
	}
	for name, c := range cases {
		t.Run("greeting "+name, func(t *testing.T) {
			got := notTLSRule{}.Propose(ev(answered(c.first)))[0]
			if want := "the server does not speak TLS on 127.0.0.1:8443: its answer looks like " + c.what; got.summary != want {
				t.Errorf("summary %q, want %q", got.summary, want)
			}
			if c.hint != "" && (len(got.hints) != 2 || !strings.Contains(got.hints[1], c.hint)) {
				t.Errorf("hints %q lack %q", got.hints, c.hint)
			}
			if c.hint == "" && len(got.hints) != 1 {
				t.Errorf("hints %q", got.hints)
			}
		})
	}
}

func TestNotTLSUsesRecordHeaderWithoutFirstBytes(t *testing.T) {
	e := ev(answered("SSH-2"))
	e.first = nil
	if got := (notTLSRule{}).Propose(e)[0].summary; got != "the server does not speak TLS on 127.0.0.1:8443: its answer looks like SSH" {
		t.Errorf("summary %q", got)
	}
}
