package tlstest

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine/pki"
	"github.com/mtlswb/mtlswb/tlsengine/serve"
)

// startTimeout bounds how long a server may take to start listening.
const startTimeout = 15 * time.Second

// PKI is a minimal working mTLS setup: a root CA, a server certificate for
// localhost, 127.0.0.1 and ::1, and a client certificate (CN "client").
type PKI struct {
	Root, Server, Client pki.Pair
}

// NewPKI makes a fresh PKI with ECDSA P-256 keys.
func NewPKI(t testing.TB) *PKI {
	t.Helper()
	must := func(p pki.Pair, err error) pki.Pair {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	root := must(pki.NewRoot(pki.Spec{CN: "mtlswb Test Root", IsCA: true}))
	return &PKI{
		Root:   root,
		Server: must(root.Issue(ServerSpec("localhost"))),
		Client: must(root.Issue(pki.Spec{CN: "client", Client: true})),
	}
}

// ServerSpec is a server certificate for localhost, 127.0.0.1 and ::1 named
// cn; change a field to make a broken one.
func ServerSpec(cn string) pki.Spec {
	return pki.Spec{CN: cn, Server: true,
		DNSNames: []string{"localhost"}, IPs: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}}
}

// ServerCert is the server certificate with its key.
func (p *PKI) ServerCert() tls.Certificate { return TLSCert(p.Server) }

// ClientCert is the client certificate with its key.
func (p *PKI) ClientCert() *tls.Certificate {
	c := TLSCert(p.Client)
	return &c
}

// TLSCert makes a tls.Certificate of leaf's key and the certificates of leaf
// followed by chain (the intermediates to send with it).
func TLSCert(leaf pki.Pair, chain ...*x509.Certificate) tls.Certificate {
	c := tls.Certificate{Certificate: [][]byte{leaf.Cert.Raw}, PrivateKey: leaf.Key, Leaf: leaf.Cert}
	for _, x := range chain {
		c.Certificate = append(c.Certificate, x.Raw)
	}
	return c
}

// StartServe runs the mtlswb echo server on 127.0.0.1 and returns its
// host:port. Its log goes to the test log.
func StartServe(t testing.TB, cfg serve.Config) string {
	t.Helper()
	if cfg.Log == nil {
		cfg.Log = logWriter{t}
	}
	s, err := serve.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		s.Close()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// logWriter sends each written line to t.Log. Writes after the test ended
// are dropped (t.Log would panic).
type logWriter struct{ t testing.TB }

func (w logWriter) Write(p []byte) (int, error) {
	defer func() { _ = recover() }()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// StartOpenSSL runs `openssl s_server -accept 127.0.0.1:PORT args...` on a
// free port and returns the address once it accepts connections. It fails
// the test when openssl is missing or does not start.
func StartOpenSSL(t testing.TB, args ...string) string {
	t.Helper()
	bin, err := exec.LookPath("openssl")
	if err != nil {
		t.Fatalf("openssl is needed for this test: %v", err)
	}
	// The port is free when picked but openssl binds it later; another
	// process may take it in between, so try again on "in use".
	for range 3 {
		addr := freeAddr(t)
		cmd := exec.Command(bin, append([]string{"s_server", "-accept", addr}, args...)...)
		var stderr syncBuffer
		cmd.Stderr = &stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatalf("start openssl s_server: %v", err)
		}
		ready := make(chan bool, 1)
		go func() {
			// s_server prints ACCEPT once it listens; the rest of its output
			// is drained so it never blocks on a full pipe.
			sc := bufio.NewScanner(stdout)
			seen := false
			for sc.Scan() {
				if !seen && strings.TrimSpace(sc.Text()) == "ACCEPT" {
					seen = true
					ready <- true
				}
			}
			if !seen {
				ready <- false
			}
			_, _ = io.Copy(io.Discard, stdout)
		}()
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		stop := func() {
			_ = cmd.Process.Kill()
			<-exited
		}
		select {
		case ok := <-ready:
			if ok {
				t.Cleanup(stop)
				return addr
			}
			stop()
			if strings.Contains(stderr.String(), "in use") {
				continue
			}
			t.Fatalf("openssl s_server %s did not start: %s", strings.Join(args, " "), stderr.String())
		case <-time.After(startTimeout):
			stop()
			t.Fatalf("openssl s_server %s did not listen within %s: %s", strings.Join(args, " "), startTimeout, stderr.String())
		}
	}
	t.Fatal("openssl s_server: no free port after 3 tries")
	return ""
}

// syncBuffer is a bytes.Buffer safe for a writing process and a reading test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// ClosedAddr returns a 127.0.0.1 address where nothing listens.
func ClosedAddr(t testing.TB) string { return freeAddr(t) }

// WriteCertPEM writes certs as PEM to a new file in t.TempDir().
func WriteCertPEM(t testing.TB, certs ...*x509.Certificate) string {
	t.Helper()
	var b bytes.Buffer
	for _, c := range certs {
		_ = pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	return writeTemp(t, "cert-*.pem", b.Bytes())
}

// WriteKeyPEM writes key as unencrypted PKCS #8 PEM to a new file in
// t.TempDir().
func WriteKeyPEM(t testing.TB, key crypto.Signer) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return writeTemp(t, "key-*.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func writeTemp(t testing.TB, pattern string, data []byte) string {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), pattern)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return filepath.Clean(f.Name())
}

// StartSilent listens on 127.0.0.1 and accepts connections but never sends
// a byte: a TLS client times out in its handshake.
func StartSilent(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// StartPlainHTTP runs a plain-text HTTP server on 127.0.0.1 answering "hello".
func StartPlainHTTP(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello over plain HTTP")
	}), ReadHeaderTimeout: startTimeout}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("plain HTTP server: %v", err)
		}
	})
	return ln.Addr().String()
}

// StartRawHTTPS runs a TLS server on 127.0.0.1 (HTTP/1.1 only) that reads
// each request's head and answers with response as it is, byte for byte,
// then closes: a server that sends what net/http would not (control
// characters, invalid UTF-8 in headers).
func StartRawHTTPS(t testing.TB, cert tls.Certificate, response []byte) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(startTimeout))
				br := bufio.NewReader(c)
				for {
					line, err := br.ReadString('\n')
					if err != nil {
						return
					}
					if line == "\r\n" || line == "\n" {
						break
					}
				}
				_, _ = c.Write(response)
			})
		}
	})
	return ln.Addr().String()
}
