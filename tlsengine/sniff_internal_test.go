package tlsengine

import (
	"errors"
	"testing"
)

func TestRecognize(t *testing.T) {
	for _, c := range []struct {
		first  string
		inTLS  bool
		scheme string // "" with ok: recognized, no scheme; "-": not recognized
	}{
		{"220 mx.example ESMTP Postfix\r\n", false, "smtp"},
		{"220 mx.example ESMTP Postfix\r\n", true, "smtps"},
		{"220 (vsFTPd 3.0.5)\r\n", false, "ftp"},
		{"220 ready\r\n", false, "smtp"},
		{"* OK [CAPABILITY IMAP4rev1] Dovecot ready.\r\n", false, "imap"},
		{"+OK Dovecot ready.\r\n", true, "pop3s"},
		{"J\x00\x00\x00\x0a5.5.5-10.11.6-MariaDB\x00", false, "mysql"},
		{"<?xml version='1.0'?><stream:stream", false, "xmpp"},
		{"SSH-2.0-OpenSSH_9.2\r\n", false, ""},
		{"HTTP/1.1 400 Bad Request\r\n", false, "-"},
		{"\x15\x03\x03\x00\x02\x02\x28", false, "-"},
	} {
		sp, ok := recognize([]byte(c.first), c.inTLS)
		got := sp.scheme
		if !ok {
			got = "-"
		}
		if got != c.scheme {
			t.Errorf("recognize(%q, %v) = %q, want %q", c.first, c.inTLS, got, c.scheme)
		}
	}
}

func TestValidMethod(t *testing.T) {
	for m, want := range map[string]bool{
		"/grpc.health.v1.Health/Check": true, "pkg.Svc/Do": true, "/Svc/Do_2": true,
		"Do": false, "/pkg.Svc/": false, "/1pkg/Do": false, "/a/b/c": false, "/a b/C": false, "": false,
	} {
		if validMethod(m) != want {
			t.Errorf("validMethod(%q) = %v", m, !want)
		}
	}
}

func TestMalformed(t *testing.T) {
	for msg, want := range map[string]string{
		`net/http: HTTP/1.x transport connection broken: malformed HTTP response "220 mx ESMTP"`: "220 mx ESMTP",
		`malformed HTTP status code "OK"`: "OK",
		`EOF`:                             "",
	} {
		if got := malformed(errors.New(msg)); got != want {
			t.Errorf("malformed(%q) = %q, want %q", msg, got, want)
		}
	}
}
