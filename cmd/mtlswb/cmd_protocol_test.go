package main

import (
	"encoding/json"
	"net"
	"strings"
	"testing"

	"github.com/mtlswb/mtlswb/workspace"
)

// TestProtocolFlags: probe --starttls turns into the protocol's URL, the
// protocol flags reach the engine (which refuses the ones a scheme does
// not take), and history keeps them with the request.
func TestProtocolFlags(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		args []string
		code int
		out  string // in stdout or stderr
	}{
		{[]string{"probe", "--starttls", "gopher", "127.0.0.1:1"}, exitUsage, "mtlswb speaks postgres, mysql, smtp, imap, pop3, ldap, ftp, xmpp"},
		{[]string{"probe", "--starttls", "smtp", "smtp://127.0.0.1:1"}, exitUsage, "takes HOST:PORT, not a URL"},
		{[]string{"send", "--grpc-method", "/a.B/C", "postgres://127.0.0.1:1/db", "--user", "u"}, exitUsage, "postgres:// does not use --grpc-method"},
		{[]string{"send", "--user", "u", "https://127.0.0.1:1/"}, exitUsage, "--user takes USER:PASSWORD"}, // curl's meaning on https://
		{[]string{"send", "--user", "u\r\nQUIT", "ftp://127.0.0.1:1"}, exitUsage, "control characters"},
		{[]string{"probe", "--starttls", "smtp", "127.0.0.1:1"}, exitFailed, "connection-refused"},
	} {
		r := e.run(c.args...)
		if r.code != c.code || !strings.Contains(r.stdout+r.stderr, c.out) {
			t.Errorf("mtlswb %s: exit %d, want %d with %q\n%s", strings.Join(c.args, " "), r.code, c.code, c.out, r)
		}
	}
	// A refused connection still makes an attempt, which history keeps
	// with its protocol options.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	e.run("send", "mqtts://"+addr, "--client-id", "sensor-7", "--user", "dev")
	s, err := workspace.Open(e.ws)
	if err != nil {
		t.Fatal(err)
	}
	h, err := s.History(1)
	if err != nil || len(h) != 1 {
		t.Fatalf("history: %v, %v", h, err)
	}
	item, err := s.HistoryItem(h[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	var sp workspace.RequestSpec
	if err := json.Unmarshal(item.Request, &sp); err != nil || sp.ClientID != "sensor-7" || sp.User != "dev" || sp.Method != "" {
		t.Errorf("history kept %+v (%v)", sp, err)
	}
}

// TestWhichByScheme: a profile for db.example:5432 matches postgres://db.example,
// whose port is PostgreSQL's.
func TestWhichByScheme(t *testing.T) {
	e := newEnv(t)
	e.ok("pki", "ca", "root", "--cn", "Root")
	e.ok("pki", "issue", "app", "--ca", "root", "--cn", "app")
	e.ok("profile", "add", "db", "--host", "db.example:5432", "--identity", "app")
	if r := e.run("which", "postgres://db.example/app"); r.code != 0 || !strings.Contains(r.stdout, "db") {
		t.Errorf("which postgres://db.example: %s", r)
	}
	if r := e.run("which", "mqtts://db.example"); r.code != 1 {
		t.Errorf("which mqtts://db.example (port 8883) matched: %s", r)
	}
}
