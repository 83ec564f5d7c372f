package realserver

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// HAProxyConfig configures StartHAProxy. The frontend answers `200 ok` on
// every path (http-request return).
type HAProxyConfig struct {
	TLS TLS
	// Verify is the bind line's verify: required and optional reject a bad
	// certificate in the handshake; VerifyOptionalNoCA is verify optional
	// with ca-ignore-err all and crt-ignore-err all, which lets every
	// certificate through for http-request rules to judge.
	Verify Verify
	// StatusIfNoCert and StatusIfCertError, when set, deny with that status
	// (496, 495) a request without a client certificate, or with one that
	// did not verify (`http-request deny deny_status 495 if !{ ssl_c_verify 0 }`).
	StatusIfNoCert, StatusIfCertError int
	// Extra is added to the frontend as is.
	Extra string
}

// StartHAProxy runs haproxy in the foreground (-db) with cfg. Its log,
// including failed handshakes, goes to stderr and so to Logs.
func StartHAProxy(t testing.TB, cfg HAProxyConfig) *Server {
	t.Helper()
	d, files := newDaemon(t, "haproxy", cfg.TLS, "haproxy", "/usr/sbin/haproxy")
	d.command = func(addr string) *exec.Cmd {
		conf := d.config(t, "haproxy.cfg", haproxyConf(cfg, files, addr))
		return exec.Command(d.bin, "-db", "-f", conf, "-p", filepath.Join(d.dir, "haproxy.pid"))
	}
	return d.start(t)
}

func haproxyConf(cfg HAProxyConfig, f tlsFiles, addr string) string {
	var c conf
	p := c.line
	p("global")
	p("  log stderr format raw local0 info")
	p("defaults")
	p("  mode http")
	p("  log global")
	p("  timeout connect 5s")
	p("  timeout client 10s")
	p("  timeout http-request 10s")
	p("frontend fe")
	bind := []string{"bind", addr, "ssl", "crt", f.Combined}
	versions := cfg.TLS.versions()
	bind = append(bind, "ssl-min-ver", versions[0], "ssl-max-ver", versions[len(versions)-1])
	if f.CA != "" {
		bind = append(bind, "ca-file", f.CA)
	}
	switch cfg.Verify {
	case VerifyRequired:
		bind = append(bind, "verify", "required")
	case VerifyOptional:
		bind = append(bind, "verify", "optional")
	case VerifyOptionalNoCA:
		bind = append(bind, "verify", "optional", "ca-ignore-err", "all", "crt-ignore-err", "all")
	default:
		bind = append(bind, "verify", "none")
	}
	if f.CRL != "" {
		bind = append(bind, "crl-file", f.CRL)
	}
	p("  %s", strings.Join(bind, " "))
	// One line per request with what HAProxy knew of the client
	// certificate; failed handshakes get HAProxy's own error line.
	p(`  log-format "%%ci:%%cp %%ft %%ST %%HM %%HU %%sslv c_used=%%[ssl_c_used] c_verify=%%[ssl_c_verify] c_dn=%%{+Q}[ssl_c_s_dn]"`)
	// A status without a default error page (495, 496) needs a body.
	if cfg.StatusIfNoCert != 0 {
		p(`  http-request deny deny_status %d content-type text/plain string "SSL certificate required" if !{ ssl_c_used }`, cfg.StatusIfNoCert)
	}
	if cfg.StatusIfCertError != 0 {
		p(`  http-request deny deny_status %d content-type text/plain string "SSL certificate error" if { ssl_c_used } !{ ssl_c_verify 0 }`, cfg.StatusIfCertError)
	}
	if cfg.Extra != "" {
		p("  %s", cfg.Extra)
	}
	p(`  http-request return status 200 content-type text/plain string "ok"`)
	return c.String()
}
