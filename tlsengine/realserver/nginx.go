package realserver

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// NginxConfig configures StartNginx. The server answers `200 ok\n` on every
// path.
type NginxConfig struct {
	TLS TLS
	// Verify is ssl_verify_client. nginx never rejects a client
	// certificate in the handshake: with `on` it answers 400 pages
	// ("No required SSL certificate was sent", "The SSL certificate error").
	Verify Verify
	// VerifyDepth is ssl_verify_depth; 0 keeps nginx's default of 1
	// (a leaf issued by a root the server trusts, no intermediate).
	VerifyDepth int
	// StatusIfNoCert and StatusIfCertError, when set, answer that status
	// on / when $ssl_client_verify is NONE or anything but SUCCESS: the
	// usual way to judge an optional certificate. nginx sends its own 495
	// and 496 as 400 pages ("The SSL certificate error", "No required SSL
	// certificate was sent") unless an error_page keeps the code
	// (`error_page 496 =496 /496.txt;` in Extra).
	StatusIfNoCert, StatusIfCertError int
	// Extra is added to the server block as is.
	Extra string
	// RejectUnknownNames puts a default server before the real one that
	// refuses every handshake (ssl_reject_handshake): a client whose server
	// name (SNI) is not localhost, or who sends none, gets alert 112
	// unrecognized_name, as on a host serving several named sites.
	RejectUnknownNames bool
}

// StartNginx runs nginx in the foreground with cfg.
func StartNginx(t testing.TB, cfg NginxConfig) *Server {
	t.Helper()
	d, files := newDaemon(t, "nginx", cfg.TLS, "nginx", "/usr/sbin/nginx")
	mkdirs(t, d.dir, "tmp", "logs")
	errorLog, accessLog := filepath.Join(d.dir, "logs", "error.log"), filepath.Join(d.dir, "logs", "access.log")
	d.logs = []string{errorLog, accessLog}
	d.command = func(addr string) *exec.Cmd {
		conf := d.config(t, "nginx.conf", nginxConf(cfg, files, d.dir, addr))
		// -e: the error log before the config is read, which is otherwise
		// /var/log/nginx/error.log.
		return exec.Command(d.bin, "-p", d.dir, "-c", conf, "-e", errorLog)
	}
	return d.start(t)
}

func nginxConf(cfg NginxConfig, f tlsFiles, dir, addr string) string {
	var c conf
	p := c.line
	p("daemon off;")
	p("worker_processes 1;")
	p("pid %s;", filepath.Join(dir, "nginx.pid"))
	p("error_log %s info;", filepath.Join(dir, "logs", "error.log"))
	p("events { worker_connections 64; }")
	p("http {")
	p(`  log_format tls '$remote_addr [$time_local] "$request" $status $body_bytes_sent $ssl_protocol verify=$ssl_client_verify dn="$ssl_client_s_dn"';`)
	p("  access_log %s tls;", filepath.Join(dir, "logs", "access.log"))
	// The compiled-in temp paths are under /var/lib/nginx, which nginx
	// creates at start-up: not possible as an unprivileged user.
	for _, tmp := range []string{"client_body", "proxy", "fastcgi", "uwsgi", "scgi"} {
		p("  %s_temp_path %s;", tmp, filepath.Join(dir, "tmp", tmp))
	}
	if cfg.RejectUnknownNames {
		p("  server {")
		p("    listen %s ssl default_server;", addr)
		p("    ssl_reject_handshake on;")
		p("  }")
	}
	p("  server {")
	p("    listen %s ssl;", addr)
	p("    server_name localhost;")
	p("    ssl_certificate %s;", f.FullChain)
	p("    ssl_certificate_key %s;", f.Key)
	p("    ssl_protocols %s;", strings.Join(cfg.TLS.versions(), " "))
	if cfg.Verify != VerifyOff {
		mode := string(cfg.Verify)
		if cfg.Verify == VerifyRequired {
			mode = "on"
		}
		p("    ssl_verify_client %s;", mode)
	}
	c.path("    ssl_client_certificate %s;", f.CA)
	if cfg.VerifyDepth > 0 {
		p("    ssl_verify_depth %d;", cfg.VerifyDepth)
	}
	c.path("    ssl_crl %s;", f.CRL)
	if cfg.Extra != "" {
		p("    %s", cfg.Extra)
	}
	// The checks are in the location, not the server: an error_page in
	// Extra redirects internally, and a server-level check would run again.
	p("    location / {")
	p("      default_type text/plain;")
	if cfg.StatusIfNoCert != 0 {
		p(`      if ($ssl_client_verify = NONE) { return %d; }`, cfg.StatusIfNoCert)
	}
	if cfg.StatusIfCertError != 0 {
		p(`      if ($ssl_client_verify !~ ^(SUCCESS|NONE)$) { return %d; }`, cfg.StatusIfCertError)
	}
	p(`      return 200 "ok\n";`)
	p("    }")
	p("  }")
	p("}")
	return c.String()
}
