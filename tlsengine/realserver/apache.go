package realserver

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// ApacheConfig configures StartApache. The server answers `ok\n` from a
// DocumentRoot file on / and on /secure/.
type ApacheConfig struct {
	TLS TLS
	// Verify is SSLVerifyClient at the virtual-host level: asked for in the
	// handshake.
	Verify Verify
	// SecureVerify is SSLVerifyClient inside <Location /secure>: asked for
	// after the request line, by renegotiation on TLS 1.2 and by
	// post-handshake authentication on TLS 1.3 (which Go clients do not
	// offer, so Apache answers 403).
	SecureVerify Verify
	// VerifyDepth is SSLVerifyDepth; 0 keeps Apache's default of 1.
	VerifyDepth int
	// Extra is added to the virtual host as is.
	Extra string
}

// apacheModules are loaded from the config itself: Debian's a2enmod would
// change the system-wide setup. log_config and unixd are compiled in.
var apacheModules = []string{"mpm_event", "authz_core", "dir", "socache_shmcb", "ssl"}

// StartApache runs apache2 (httpd) in the foreground with cfg. As root its
// children run as TestUser (Apache refuses to serve as root).
func StartApache(t testing.TB, cfg ApacheConfig) *Server {
	t.Helper()
	d, files := newDaemon(t, "apache", cfg.TLS, "apache2", "/usr/sbin/apache2", "/usr/sbin/httpd")
	modDir := "/usr/lib/apache2/modules"
	if _, err := os.Stat(filepath.Join(modDir, "mod_ssl.so")); err != nil {
		t.Fatalf("apache2's mod_ssl is not installed (%v): %s", err, installHint)
	}
	acct := runAs(t)
	docs := filepath.Join(d.dir, "htdocs")
	mkdirs(t, d.dir, "run", "logs", filepath.Join("htdocs", "secure"))
	writeFile(t, docs, "index.html", []byte("ok\n"), 0o644)
	writeFile(t, filepath.Join(docs, "secure"), "index.html", []byte("ok\n"), 0o644)
	acct.give(t, docs)
	d.logs = []string{filepath.Join(d.dir, "logs", "error.log"), filepath.Join(d.dir, "logs", "access.log")}
	d.command = func(addr string) *exec.Cmd {
		conf := d.config(t, "httpd.conf", apacheConf(cfg, files, d.dir, modDir, addr, acct))
		return exec.Command(d.bin, "-DFOREGROUND", "-d", d.dir, "-f", conf)
	}
	return d.start(t)
}

func apacheConf(cfg ApacheConfig, f tlsFiles, dir, modDir, addr string, acct account) string {
	var c conf
	p := c.line
	for _, m := range apacheModules {
		p("LoadModule %s_module %s/mod_%s.so", m, modDir, m)
	}
	p("ServerRoot %s", dir)
	p("DefaultRuntimeDir %s", filepath.Join(dir, "run"))
	p("PidFile %s", filepath.Join(dir, "apache2.pid"))
	if acct.root {
		p("User %s", acct.name)
		p("Group #%d", acct.gid)
	}
	p("ServerName localhost")
	p("Listen %s", addr)
	p("StartServers 1")
	p("ServerLimit 1")
	p("ThreadsPerChild 16")
	p("MaxRequestWorkers 16")
	p("Timeout 10")
	p("ErrorLog %s", filepath.Join(dir, "logs", "error.log"))
	p("LogLevel info ssl:info")
	p(`LogFormat "%%h %%t \"%%r\" %%>s %%b %%{SSL_PROTOCOL}x verify=%%{SSL_CLIENT_VERIFY}x dn=\"%%{SSL_CLIENT_S_DN}x\"" tls`)
	p("CustomLog %s tls", filepath.Join(dir, "logs", "access.log"))
	p("SSLSessionCache shmcb:%s(65536)", filepath.Join(dir, "run", "ssl_scache"))
	p("<VirtualHost %s>", addr)
	p("  DocumentRoot %s", filepath.Join(dir, "htdocs"))
	p("  DirectoryIndex index.html")
	p("  <Directory %s>", filepath.Join(dir, "htdocs"))
	p("    Require all granted")
	p("  </Directory>")
	p("  SSLEngine on")
	p("  SSLProtocol -all %s", "+"+strings.Join(cfg.TLS.versions(), " +"))
	p("  SSLCertificateFile %s", f.FullChain)
	p("  SSLCertificateKeyFile %s", f.Key)
	c.path("  SSLCACertificateFile %s", f.CA)
	if f.CRL != "" {
		// The default check is none: a CRL file alone is ignored.
		p("  SSLCARevocationFile %s", f.CRL)
		p("  SSLCARevocationCheck chain")
	}
	if cfg.VerifyDepth > 0 {
		p("  SSLVerifyDepth %d", cfg.VerifyDepth)
	}
	if cfg.Verify != VerifyOff {
		p("  SSLVerifyClient %s", apacheVerify(cfg.Verify))
	}
	if cfg.SecureVerify != VerifyOff {
		p("  <Location /secure>")
		p("    SSLVerifyClient %s", apacheVerify(cfg.SecureVerify))
		p("  </Location>")
	}
	if cfg.Extra != "" {
		p("  %s", cfg.Extra)
	}
	p("</VirtualHost>")
	return c.String()
}

func apacheVerify(v Verify) string {
	if v == VerifyRequired {
		return "require"
	}
	return string(v)
}
