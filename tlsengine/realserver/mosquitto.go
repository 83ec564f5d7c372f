package realserver

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// MosquittoConfig configures StartMosquitto: one MQTT-over-TLS listener with
// use_identity_as_username, so a client's username is its certificate's CN.
type MosquittoConfig struct {
	TLS TLS
	// Verify: VerifyRequired (the default, also for VerifyOff) is
	// require_certificate true; VerifyOptional is require_certificate false.
	Verify Verify
	// ACL, when set, is the acl_file's content, e.g. "user client\ntopic
	// readwrite sensors/#"; empty allows every authenticated client all
	// topics.
	ACL string
}

// StartMosquitto runs mosquitto in the foreground with cfg. Clients speak
// MQTT inside TLS from the first byte (no preamble).
func StartMosquitto(t testing.TB, cfg MosquittoConfig) *Server {
	t.Helper()
	d, files := newDaemon(t, "mosquitto", cfg.TLS, "mosquitto", "/usr/sbin/mosquitto")
	acl := ""
	if cfg.ACL != "" {
		acl = writeFile(t, d.dir, "acl", []byte(cfg.ACL+"\n"), 0o600)
	}
	d.command = func(addr string) *exec.Cmd {
		return exec.Command(d.bin, "-c", d.config(t, "mosquitto.conf", mosquittoConf(cfg, files, d.dir, acl, addr)))
	}
	return d.start(t)
}

func mosquittoConf(cfg MosquittoConfig, f tlsFiles, dir, acl, addr string) string {
	var c conf
	p := c.line
	host, port, _ := strings.Cut(addr, ":")
	// As root mosquitto would switch to the user "mosquitto", who cannot
	// read the temp dir; "root" keeps it as it is (ignored when not root).
	p("user root")
	p("pid_file %s", filepath.Join(dir, "mosquitto.pid"))
	p("persistence false")
	// stderr, which is stdout.log: mosquitto buffers a log file, so Logs
	// would miss the lines that explain a failure.
	p("log_dest stderr")
	p("log_type all")
	p("connection_messages true")
	p("log_timestamp_format %%Y-%%m-%%dT%%H:%%M:%%S")
	c.path("acl_file %s", acl)
	p("listener %s %s", port, host)
	p("certfile %s", f.FullChain)
	p("keyfile %s", f.Key)
	c.path("cafile %s", f.CA)
	c.path("crlfile %s", f.CRL)
	// mosquitto takes one version or none (all it supports).
	if v := cfg.TLS.versions(); len(v) == 1 {
		p("tls_version %s", strings.ToLower(v[0]))
	}
	p("require_certificate %t", cfg.Verify != VerifyOptional && cfg.Verify != VerifyOptionalNoCA)
	p("use_identity_as_username true")
	return c.String()
}
