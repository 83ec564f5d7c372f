package main

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mtlswb/mtlswb/tlsengine/pki"
	"github.com/mtlswb/mtlswb/tlsengine/realserver"
	"github.com/mtlswb/mtlswb/workspace"
)

// TestReadmeBeyondHTTP runs the README's "Beyond HTTP" transcript in a
// fresh workspace against real PostgreSQL, mosquitto and MariaDB servers,
// each started when the transcript first names its port, with the
// workspace's `localhost` identity as its certificate and `dev-root` as the
// CA its clients' certificates must come from.
func TestReadmeBeyondHTTP(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	t.Chdir(e.dir)
	// The README's ports, and the servers behind them.
	servers := map[string]func(realserver.TLS) *realserver.Server{
		"5432": func(c realserver.TLS) *realserver.Server {
			return realserver.StartPostgres(t, realserver.PostgresConfig{TLS: c, Roles: []string{"app", "admin"}})
		},
		"8883": func(c realserver.TLS) *realserver.Server {
			return realserver.StartMosquitto(t, realserver.MosquittoConfig{TLS: c, Verify: realserver.VerifyRequired})
		},
		"3306": func(c realserver.TLS) *realserver.Server {
			return realserver.StartMariaDB(t, realserver.MariaDBConfig{TLS: c, Users: []realserver.MariaDBUser{{Name: "app", Require: "X509"}}})
		},
	}
	var local, unlocal []string
	started := map[string]*realserver.Server{}
	for _, st := range readTranscript(t, string(readme), "## Beyond HTTP") {
		for port, start := range servers {
			if started[port] == nil && strings.Contains(st.raw, "localhost:"+port) {
				srv := start(e.serverTLS())
				started[port] = srv
				_, real, _ := strings.Cut(srv.Addr, ":")
				local = append(local, "localhost:"+port, "localhost:"+real)
				unlocal = append(unlocal, "localhost:"+real, "localhost:"+port, "127.0.0.1:"+real, "127.0.0.1:"+port)
			}
		}
		args := append([]string{"--workspace", e.ws}, st.args...)
		for i := range args {
			args[i] = strings.NewReplacer(local...).Replace(args[i])
		}
		var out bytes.Buffer
		code := runEnv(t.Context(), args, strings.NewReader(""), &out, &out, func(k string) string { return e.vars[k] })
		var indented bytes.Buffer
		if json.Valid(out.Bytes()) && json.Indent(&indented, out.Bytes(), "", "  ") == nil {
			out = indented
		}
		text := strings.NewReplacer(unlocal...).Replace(out.String())
		got := strings.Split(strings.TrimRight(text, "\n"), "\n")
		for i := range got {
			got[i] = strings.TrimRight(got[i], " ")
		}
		if code != st.wantCode {
			t.Fatalf("README line %d, %s: exit %d, want %d\n%s", st.line, st.raw, code, st.wantCode, text)
		}
		if !globLines(st.want, got) {
			t.Errorf("README line %d, %s prints:\n%s\nthe README says:\n%s", st.line, st.raw, text, strings.Join(st.want, "\n"))
		}
	}
	if len(started) != len(servers) {
		t.Errorf("the transcript reached %d of the %d servers", len(started), len(servers))
	}
}

// serverTLS is the servers' side: the workspace's localhost identity, and
// dev-root as the CA of client certificates.
func (e *env) serverTLS() realserver.TLS {
	e.t.Helper()
	s, err := workspace.Open(e.ws)
	if err != nil {
		e.t.Fatal(err)
	}
	keys, err := s.Unlock([]byte(testPassphrase))
	if err != nil {
		e.t.Fatal(err)
	}
	defer keys.Lock()
	c, err := s.TLSCertificate(keys, "localhost")
	if err != nil {
		e.t.Fatal(err)
	}
	ca, err := s.Get("dev-root")
	if err != nil {
		e.t.Fatal(err)
	}
	return realserver.TLS{Cert: pki.Pair{Cert: c.Leaf, Key: c.PrivateKey.(crypto.Signer)}, ClientCAs: []*x509.Certificate{ca.Chain[0]}}
}
