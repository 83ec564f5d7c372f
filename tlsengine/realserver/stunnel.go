package realserver

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/mtlswb/mtlswb/tlsengine/tlstest"
)

// StunnelConfig configures StartStunnel: a TLS server that forwards each
// connection to Backend as plain TCP.
type StunnelConfig struct {
	TLS TLS
	// Verify: VerifyRequired is verifyChain with requireCert; VerifyOptional
	// is verifyChain alone (a certificate, when sent, must verify).
	Verify Verify
	// Backend is the host:port stunnel connects to. Empty starts a plain
	// HTTP backend answering 200 (tlstest.StartPlainHTTP); give a closed port
	// (tlstest.ClosedAddr) to see stunnel close after the handshake because
	// its backend is down.
	Backend string
	// Extra is added to the service section as is.
	Extra string
}

// StartStunnel runs stunnel in the foreground with cfg.
func StartStunnel(t testing.TB, cfg StunnelConfig) *Server {
	t.Helper()
	d, files := newDaemon(t, "stunnel", cfg.TLS, "stunnel4", "/usr/bin/stunnel4", "/usr/bin/stunnel")
	if cfg.Backend == "" {
		cfg.Backend = tlstest.StartPlainHTTP(t)
	}
	// In the foreground stunnel logs to stderr, which is stdout.log.
	d.command = func(addr string) *exec.Cmd {
		return exec.Command(d.bin, d.config(t, "stunnel.conf", stunnelConf(cfg, files, d.dir, addr)))
	}
	return d.start(t)
}

func stunnelConf(cfg StunnelConfig, f tlsFiles, dir, addr string) string {
	var c conf
	p := c.line
	p("foreground = yes")
	p("pid = %s", filepath.Join(dir, "stunnel.pid"))
	p("debug = info")
	p("[tls]")
	p("accept = %s", addr)
	p("connect = %s", cfg.Backend)
	p("cert = %s", f.FullChain)
	p("key = %s", f.Key)
	versions := cfg.TLS.versions()
	p("sslVersionMin = %s", versions[0])
	p("sslVersionMax = %s", versions[len(versions)-1])
	c.path("CAfile = %s", f.CA)
	c.path("CRLfile = %s", f.CRL)
	switch cfg.Verify {
	case VerifyRequired:
		p("verifyChain = yes")
		p("requireCert = yes")
	case VerifyOptional, VerifyOptionalNoCA:
		p("verifyChain = yes")
		p("requireCert = no")
	}
	if cfg.Extra != "" {
		p("%s", cfg.Extra)
	}
	return c.String()
}
