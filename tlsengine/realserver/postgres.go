package realserver

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// PostgresConfig configures StartPostgres.
type PostgresConfig struct {
	TLS TLS
	// HBA are the pg_hba.conf lines; empty means
	// `hostssl all all 127.0.0.1/32 cert clientcert=verify-full`: a
	// certificate from TLS.ClientCAs whose CN is the user name.
	HBA []string
	// Roles are created with LOGIN before the server starts (the client
	// certificate's CN for the default HBA).
	Roles []string
}

// StartPostgres makes a cluster with initdb in a temp dir and starts it with
// `pg_ctl start` on a free 127.0.0.1 port (no Unix socket), as TestUser when
// the tests run as root. It stops with `pg_ctl stop`. Connect with an
// SSLRequest first: the server speaks TLS only after it.
func StartPostgres(t testing.TB, cfg PostgresConfig) *Server {
	t.Helper()
	began := time.Now()
	pgCtl := lookBinary(t, "pg_ctl", "/usr/lib/postgresql/*/bin/pg_ctl")
	bin := filepath.Dir(pgCtl)
	acct := runAs(t)
	dir := t.TempDir()
	data, tlsDir := filepath.Join(dir, "data"), filepath.Join(dir, "tls")
	if err := os.Mkdir(tlsDir, 0o700); err != nil {
		t.Fatal(err)
	}
	files := cfg.TLS.write(t, tlsDir)
	logFile := filepath.Join(dir, "postgres.log")
	srv := &Server{Name: "postgres", Dir: dir, logs: []string{logFile}}
	// PostgreSQL insists that its key belongs to the user it runs as.
	acct.give(t, dir)
	run := func(name string, stdin string, args ...string) error {
		cmd := acct.credential(exec.Command(filepath.Join(bin, name), args...))
		cmd.Dir = dir
		cmd.Stdin = strings.NewReader(stdin)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		if err != nil {
			return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out.String())
		}
		return nil
	}
	// --no-sync: nothing here has to survive a crash, and fsync is most of
	// initdb's time.
	if err := run("initdb", "", "--no-sync", "--auth=trust", "--username=postgres", "--encoding=UTF8", "--locale=C", "-D", data); err != nil {
		t.Fatalf("postgres: %v", err)
	}
	hba := cfg.HBA
	if len(hba) == 0 {
		hba = []string{"hostssl all all 127.0.0.1/32 cert clientcert=verify-full"}
	}
	writeAs(t, acct, filepath.Join(data, "pg_hba.conf"), strings.Join(hba, "\n")+"\n")
	if len(cfg.Roles) > 0 {
		var sql strings.Builder
		for _, r := range cfg.Roles {
			fmt.Fprintf(&sql, "CREATE ROLE %s LOGIN;\n", quoteIdent(r))
		}
		// Single-user mode, before the server listens: no socket to reach.
		if err := run("postgres", sql.String(), "--single", "-F", "-D", data, "postgres"); err != nil {
			t.Fatalf("postgres: create roles: %v", err)
		}
	}
	for range 3 {
		srv.Addr = freeAddr(t)
		_, port, _ := strings.Cut(srv.Addr, ":")
		writeAs(t, acct, filepath.Join(data, "postgresql.auto.conf"), postgresConf(cfg, files, port))
		err := run("pg_ctl", "", "start", "-w", "-t", fmt.Sprint(int(startTimeout.Seconds())), "-D", data, "-l", logFile)
		if err == nil {
			srv.StartUp = time.Since(began)
			t.Cleanup(func() {
				if err := run("pg_ctl", "", "stop", "-w", "-m", "fast", "-D", data); err != nil {
					t.Errorf("postgres: %v", err)
				}
			})
			return srv
		}
		if strings.Contains(srv.Logs(), "in use") {
			continue
		}
		t.Fatalf("postgres did not start: %v\n%s", err, srv.Logs())
	}
	t.Fatalf("postgres: no free port after 3 tries\n%s", srv.Logs())
	return nil
}

func postgresConf(cfg PostgresConfig, f tlsFiles, port string) string {
	var c conf
	p := c.line
	p("listen_addresses = '127.0.0.1'")
	p("port = %s", port)
	p("unix_socket_directories = ''")
	p("fsync = off")
	p("log_connections = on")
	p("ssl = on")
	p("ssl_cert_file = '%s'", f.FullChain)
	p("ssl_key_file = '%s'", f.Key)
	versions := cfg.TLS.versions()
	p("ssl_min_protocol_version = '%s'", versions[0])
	p("ssl_max_protocol_version = '%s'", versions[len(versions)-1])
	c.path("ssl_ca_file = '%s'", f.CA)
	c.path("ssl_crl_file = '%s'", f.CRL)
	return c.String()
}

// writeAs writes a config file the daemon's account owns.
func writeAs(t testing.TB, acct account, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if acct.root {
		if err := os.Chown(path, int(acct.uid), int(acct.gid)); err != nil {
			t.Fatal(err)
		}
	}
}

// quoteIdent quotes a PostgreSQL identifier.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
