package realserver

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// MariaDBConfig configures StartMariaDB.
type MariaDBConfig struct {
	TLS TLS
	// Users are created at start-up, without a password.
	Users []MariaDBUser
}

// MariaDBUser is an account and what it demands of the client's
// certificate.
type MariaDBUser struct {
	Name string
	// Require is CREATE USER's REQUIRE clause: "X509" (any certificate
	// the server verifies), "SUBJECT '/CN=client'", "ISSUER '/CN=...'",
	// or "" for none.
	Require string
}

// mariadbSystemTables are the SQL files mariadb-install-db feeds to the
// bootstrap server; running them directly takes a second where the script
// (which also wants the client package for my_print_defaults) takes six.
var mariadbSystemTables = []string{"mysql_system_tables.sql", "mysql_system_tables_data.sql"}

// StartMariaDB bootstraps a data dir and runs mariadbd on a free 127.0.0.1
// port with require_secure_transport, as TestUser when the tests run as
// root. Clients start in cleartext: the server's greeting, then an
// SSLRequest packet, then TLS.
func StartMariaDB(t testing.TB, cfg MariaDBConfig) *Server {
	t.Helper()
	d, files := newDaemon(t, "mariadb", cfg.TLS, "mariadbd", "/usr/sbin/mariadbd")
	share := "/usr/share/mysql"
	acct := runAs(t)
	dir, bin := d.dir, d.bin
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		t.Fatal(err)
	}
	// The Unix socket's path must fit in 108 bytes; t.TempDir's may not.
	sockDir, err := os.MkdirTemp("", "mtlswb-mariadb-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	var sql strings.Builder
	sql.WriteString("CREATE DATABASE mysql;\nUSE mysql;\n")
	for _, name := range mariadbSystemTables {
		b, err := os.ReadFile(filepath.Join(share, name))
		if err != nil {
			t.Fatalf("mariadb's system tables (%v): %s", err, installHint)
		}
		sql.Write(b)
		sql.WriteString("\n")
	}
	var init strings.Builder
	for _, u := range cfg.Users {
		fmt.Fprintf(&init, "CREATE USER %s@'%%'", quoteSQL(u.Name))
		if u.Require != "" {
			fmt.Fprintf(&init, " REQUIRE %s", u.Require)
		}
		init.WriteString(";\n")
	}
	initFile := writeFile(t, dir, "init.sql", []byte(init.String()), 0o644)
	errorLog := filepath.Join(dir, "error.log")
	acct.give(t, dir)
	acct.give(t, sockDir)
	common := []string{"--no-defaults", "--datadir=" + data, "--skip-name-resolve",
		"--innodb-buffer-pool-size=8M", "--innodb-log-file-size=4M", "--innodb-flush-log-at-trx-commit=0",
		"--log-error=" + errorLog}
	boot := acct.credential(exec.Command(bin, append(common, "--bootstrap")...))
	boot.Stdin = strings.NewReader(sql.String())
	if out, err := boot.CombinedOutput(); err != nil {
		srv := &Server{Name: "mariadb", logs: []string{errorLog}}
		t.Fatalf("mariadb bootstrap: %v\n%s\n%s", err, out, srv.Logs())
	}
	d.logs = []string{errorLog}
	d.command = func(addr string) *exec.Cmd {
		host, port, _ := strings.Cut(addr, ":")
		args := append(append([]string{}, common...),
			"--bind-address="+host, "--port="+port, "--socket="+filepath.Join(sockDir, "sock"),
			"--pid-file="+filepath.Join(dir, "mariadb.pid"), "--init-file="+initFile,
			"--require-secure-transport=ON", "--ssl-cert="+files.FullChain, "--ssl-key="+files.Key,
			"--tls-version="+strings.Join(cfg.TLS.versions(), ","))
		if files.CA != "" {
			args = append(args, "--ssl-ca="+files.CA)
		}
		if files.CRL != "" {
			args = append(args, "--ssl-crl="+files.CRL)
		}
		return acct.credential(exec.Command(bin, args...))
	}
	return d.start(t)
}

// quoteSQL quotes a MariaDB string literal.
func quoteSQL(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `''`).Replace(s) + "'"
}
