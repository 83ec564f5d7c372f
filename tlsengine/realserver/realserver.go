package realserver

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine/pki"
	"github.com/mtlswb/mtlswb/tlsengine/tlstest"
)

// startTimeout bounds a daemon's start-up; stopTimeout its shutdown before
// it is killed.
const (
	startTimeout = 30 * time.Second
	stopTimeout  = 10 * time.Second
)

// installHint is what a test failing on a missing daemon tells the reader.
const installHint = "run `make tools` (scripts/ensure-tools.sh installs the real servers with apt-get)"

// Server is a running daemon.
type Server struct {
	Name string // "nginx", "haproxy", ...
	Addr string // 127.0.0.1:port, its only listener
	Dir  string // its config, pid file and logs
	// StartUp is how long its Start function took: preparing a data dir
	// (initdb, bootstrap) and waiting until it accepted connections.
	StartUp time.Duration
	logs    []string
}

// URL is https://127.0.0.1:port followed by path.
func (s *Server) URL(path string) string { return "https://" + s.Addr + path }

// Logs returns the daemon's logs (error and access logs, its stdout and
// stderr), each headed by its file name, for failure messages.
func (s *Server) Logs() string {
	var b strings.Builder
	for _, name := range s.logs {
		data, err := os.ReadFile(name)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		fmt.Fprintf(&b, "--- %s %s ---\n", s.Name, filepath.Base(name))
		if err != nil {
			fmt.Fprintf(&b, "(unreadable: %v)\n", err)
			continue
		}
		b.Write(data)
		if len(data) > 0 && data[len(data)-1] != '\n' {
			b.WriteByte('\n')
		}
	}
	if b.Len() == 0 {
		return "(" + s.Name + " logged nothing)"
	}
	return b.String()
}

// Verify is how a server asks for a client certificate.
type Verify string

const (
	// VerifyOff asks for no client certificate.
	VerifyOff Verify = ""
	// VerifyRequired demands a certificate that verifies against the
	// client CAs.
	VerifyRequired Verify = "required"
	// VerifyOptional asks for one; none is fine, a bad one is not.
	VerifyOptional Verify = "optional"
	// VerifyOptionalNoCA asks for one and lets any certificate through,
	// leaving the verdict to the application (nginx's and Apache's
	// optional_no_ca, HAProxy's verify optional with every error ignored).
	VerifyOptionalNoCA Verify = "optional_no_ca"
)

// TLS is the TLS setup every server shares.
type TLS struct {
	// Cert is the server's certificate and key; its leaf should name
	// 127.0.0.1 and localhost (tlstest.ServerSpec).
	Cert pki.Pair
	// Chain is sent after Cert: the intermediates. Leave it empty to send
	// the leaf alone (an incomplete chain when Cert is issued by one).
	Chain []*x509.Certificate
	// ClientCAs verify client certificates and are the acceptable CAs the
	// server lists in its certificate request.
	ClientCAs []*x509.Certificate
	// CRLs (DER, see NewCRL) are checked for client certificates.
	CRLs [][]byte
	// MinVersion and MaxVersion limit the protocol to TLS 1.2 and/or 1.3;
	// zero means both.
	MinVersion, MaxVersion uint16
}

// versions returns the protocol names from MinVersion to MaxVersion, in
// OpenSSL's spelling ("TLSv1.2").
func (c TLS) versions() []string {
	lo, hi := c.MinVersion, c.MaxVersion
	if lo == 0 {
		lo = tls.VersionTLS12
	}
	if hi == 0 {
		hi = tls.VersionTLS13
	}
	var v []string
	if lo <= tls.VersionTLS12 && hi >= tls.VersionTLS12 {
		v = append(v, "TLSv1.2")
	}
	if hi >= tls.VersionTLS13 {
		v = append(v, "TLSv1.3")
	}
	return v
}

// tlsFiles are the PEM files a config points to; empty when not configured.
type tlsFiles struct {
	Cert      string // leaf only
	FullChain string // leaf then Chain
	Key       string // PKCS #8
	Combined  string // leaf, Chain, key (HAProxy's crt)
	CA        string
	CRL       string
}

// write puts the PEM files of c into dir.
func (c TLS) write(t testing.TB, dir string) tlsFiles {
	t.Helper()
	if c.Cert.Cert == nil || c.Cert.Key == nil {
		t.Fatal("realserver: TLS.Cert needs a certificate and a key")
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(c.Cert.Key)
	if err != nil {
		t.Fatal(err)
	}
	key := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	leaf := certsPEM(c.Cert.Cert)
	full := append(append([]byte{}, leaf...), certsPEM(c.Chain...)...)
	f := tlsFiles{
		Cert:      writeFile(t, dir, "server-cert.pem", leaf, 0o644),
		FullChain: writeFile(t, dir, "server-fullchain.pem", full, 0o644),
		Key:       writeFile(t, dir, "server-key.pem", key, 0o600),
		Combined:  writeFile(t, dir, "server-combined.pem", append(append([]byte{}, full...), key...), 0o600),
	}
	if len(c.ClientCAs) > 0 {
		f.CA = writeFile(t, dir, "client-cas.pem", certsPEM(c.ClientCAs...), 0o644)
	}
	if len(c.CRLs) > 0 {
		var b bytes.Buffer
		for _, der := range c.CRLs {
			_ = pem.Encode(&b, &pem.Block{Type: "X509 CRL", Bytes: der})
		}
		f.CRL = writeFile(t, dir, "client-crls.pem", b.Bytes(), 0o644)
	}
	return f
}

func certsPEM(certs ...*x509.Certificate) []byte {
	var b bytes.Buffer
	for _, c := range certs {
		_ = pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	return b.Bytes()
}

func writeFile(t testing.TB, dir, name string, data []byte, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

// conf builds a config file line by line.
type conf struct{ strings.Builder }

func (c *conf) line(format string, args ...any) { fmt.Fprintf(&c.Builder, format+"\n", args...) }

// path writes the line naming path when there is one: the optional files
// (client CAs, CRLs).
func (c *conf) path(format, path string) {
	if path != "" {
		c.line(format, path)
	}
}

// lookBinary finds the daemon's binary in PATH or at one of the paths given
// (globs: PostgreSQL's are versioned), failing the test with the install
// hint when it is missing.
func lookBinary(t testing.TB, name string, paths ...string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, pattern := range paths {
		matches, _ := filepath.Glob(pattern)
		if len(matches) > 0 {
			// The highest version sorts last.
			return matches[len(matches)-1]
		}
	}
	t.Fatalf("%s is not installed: %s", name, installHint)
	return ""
}

// freeAddr returns a 127.0.0.1 address nothing listens on: free to bind
// a moment ago.
func freeAddr(t testing.TB) string { return tlstest.ClosedAddr(t) }

// Config is the configuration of one daemon: NginxConfig, HAProxyConfig,
// ApacheConfig, StunnelConfig, MosquittoConfig, PostgresConfig or
// MariaDBConfig.
type Config interface {
	start(t testing.TB) *Server
}

// Start runs the daemon cfg configures, as its Start function does: tests
// keep tables of server set-ups as data and start each row with it.
func Start(t testing.TB, cfg Config) *Server {
	t.Helper()
	return cfg.start(t)
}

func (c NginxConfig) start(t testing.TB) *Server     { return StartNginx(t, c) }
func (c HAProxyConfig) start(t testing.TB) *Server   { return StartHAProxy(t, c) }
func (c ApacheConfig) start(t testing.TB) *Server    { return StartApache(t, c) }
func (c StunnelConfig) start(t testing.TB) *Server   { return StartStunnel(t, c) }
func (c MosquittoConfig) start(t testing.TB) *Server { return StartMosquitto(t, c) }
func (c PostgresConfig) start(t testing.TB) *Server  { return StartPostgres(t, c) }
func (c MariaDBConfig) start(t testing.TB) *Server   { return StartMariaDB(t, c) }

// daemon describes a foreground process to run.
type daemon struct {
	began time.Time // when its Start function was called
	name  string
	bin   string   // its binary
	dir   string   // its temp dir: config, PEM files, pid file, logs
	logs  []string // files Server.Logs reads; stdout.log is added
	// command writes the config for addr and returns the process to run.
	command func(addr string) *exec.Cmd
}

// newDaemon begins a Start function: it finds the binary (see lookBinary)
// and makes the daemon's dir with the PEM files of c in it.
func newDaemon(t testing.TB, name string, c TLS, binary string, paths ...string) (*daemon, tlsFiles) {
	t.Helper()
	d := &daemon{began: time.Now(), name: name, bin: lookBinary(t, binary, paths...), dir: t.TempDir()}
	return d, c.write(t, d.dir)
}

// config writes the daemon's config file and returns its path.
func (d *daemon) config(t testing.TB, name, content string) string {
	return writeFile(t, d.dir, name, []byte(content), 0o644)
}

// mkdirs makes the subdirectories of dir a daemon writes to.
func mkdirs(t testing.TB, dir string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// start runs d until its port accepts connections. A free port may be taken
// between picking and binding it, so a process that exits saying its
// address is in use is started again on another port.
func (d *daemon) start(t testing.TB) *Server {
	t.Helper()
	out := filepath.Join(d.dir, "stdout.log")
	srv := &Server{Name: d.name, Dir: d.dir, logs: append(append([]string{}, d.logs...), out)}
	for range 3 {
		srv.Addr = freeAddr(t)
		cmd := d.command(srv.Addr)
		f, err := os.OpenFile(out, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stdout, cmd.Stderr = f, f
		if cmd.SysProcAttr == nil {
			cmd.SysProcAttr = &syscall.SysProcAttr{}
		}
		// Its own process group, so workers left behind by a killed master
		// can be killed with it; and SIGTERM if the test binary dies (a
		// timeout panic skips t.Cleanup) so no daemon outlives the tests.
		cmd.SysProcAttr.Setpgid = true
		cmd.SysProcAttr.Pdeathsig = syscall.SIGTERM
		if err := cmd.Start(); err != nil {
			f.Close()
			t.Fatalf("start %s: %v", d.name, err)
		}
		f.Close()
		exited := make(chan struct{})
		var waitErr error
		go func() { waitErr = cmd.Wait(); close(exited) }()
		err = waitAccept(srv.Addr, exited)
		if err == nil {
			srv.StartUp = time.Since(d.began)
			t.Cleanup(func() { stopProcess(t, d.name, cmd, exited) })
			return srv
		}
		stopProcess(t, d.name, cmd, exited)
		if errors.Is(err, errExited) && strings.Contains(srv.Logs(), "in use") {
			continue
		}
		if errors.Is(err, errExited) {
			err = fmt.Errorf("%w (%v)", err, waitErr)
		}
		t.Fatalf("%s did not start: %v\n%s", d.name, err, srv.Logs())
	}
	t.Fatalf("%s: no free port after 3 tries\n%s", d.name, srv.Logs())
	return nil
}

var errExited = errors.New("the process exited before accepting connections")

// waitAccept returns once addr accepts a TCP connection, or an error when
// exited closes first or the start-up deadline passes. Polling the port is
// the condition every daemon shares: each writes its pid file and log lines
// differently, but all of them accept once they serve.
func waitAccept(addr string, exited <-chan struct{}) error {
	deadline := time.NewTimer(startTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-exited:
			return errExited
		case <-deadline.C:
			return fmt.Errorf("%s accepted no connection within %s", addr, startTimeout)
		case <-tick.C:
		}
	}
}

// stopProcess sends SIGTERM to the daemon's PID and waits for it; after
// stopTimeout it kills the daemon's process group.
func stopProcess(t testing.TB, name string, cmd *exec.Cmd, exited <-chan struct{}) {
	select {
	case <-exited:
		return
	default:
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(stopTimeout):
		t.Errorf("%s (pid %d) did not stop within %s of SIGTERM: killed", name, cmd.Process.Pid, stopTimeout)
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	}
}
