package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine/pki"
	"github.com/mtlswb/mtlswb/tlsengine/serve"
	"github.com/mtlswb/mtlswb/workspace"
)

// buildBinary builds mtlswb once per benchmark into a temp dir: these
// benchmarks measure whole processes, start-up included.
func buildBinary(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "mtlswb")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0") // as `make build` ships it
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func timeCmd(b *testing.B, env []string, name string, args ...string) time.Duration {
	b.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	// stdout goes to /dev/null, as in `time mtlswb ls --json >/dev/null`:
	// copying megabytes through a pipe into this process would be timed too.
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		b.Fatalf("%s %v: %v\n%s", name, args, err, stderr.String())
	}
	return time.Since(start)
}

// identityFiles writes n identities (cert+key PEM, one file each) under dir.
func identityFiles(b *testing.B, dir string, n int) {
	b.Helper()
	root, err := pki.NewRoot(pki.Spec{CN: "Bench Root", IsCA: true})
	if err != nil {
		b.Fatal(err)
	}
	for i := range n {
		p, err := root.Issue(pki.Spec{CN: fmt.Sprintf("user-%05d", i), Client: true})
		if err != nil {
			b.Fatal(err)
		}
		der, _ := x509.MarshalPKCS8PrivateKey(p.Key)
		data := append(certPEMBytes(p.Cert.Raw), pemBytes("PRIVATE KEY", der)...)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("user-%05d.pem", i)), data, 0o600); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkImport10k: `mtlswb import DIR` of 10,000 identities (target ≤ 20 s),
// then `mtlswb ls --json` on the result (target ≤ 100 ms per process).
func BenchmarkImport10kAndList(b *testing.B) {
	bin := buildBinary(b)
	dir := b.TempDir()
	files := filepath.Join(dir, "ids")
	os.MkdirAll(files, 0o700)
	identityFiles(b, files, 10_000)
	ws := filepath.Join(dir, "ws.db")
	env := []string{"MTLSWB_WORKSPACE=" + ws, "MTLSWB_PASSPHRASE=bench"}
	timeCmd(b, env, bin, "init")
	importTime := timeCmd(b, env, bin, "import", files)
	b.ReportMetric(importTime.Seconds(), "import-10k-s")
	var runs []time.Duration
	for range 15 {
		runs = append(runs, timeCmd(b, env, bin, "ls", "--json"))
	}
	b.ReportMetric(float64(median(runs).Microseconds())/1000, "ls-json-10k-ms")
	b.Logf("import of 10,000 identities: %v (target ≤ 20 s); ls --json median: %v (target ≤ 100 ms)", importTime, median(runs))
}

// BenchmarkSendVsCurl compares whole processes, alternating runs:
// `mtlswb send --cert --key --ca` against `curl --cert --key --cacert`
// on the same local server (target: mtlswb ≤ 0.8× curl's median).
func BenchmarkSendVsCurl(b *testing.B) {
	if _, err := exec.LookPath("curl"); err != nil {
		b.Fatal("curl is needed for this benchmark: run scripts/ensure-tools.sh")
	}
	bin := buildBinary(b)
	dir := b.TempDir()
	root, _ := pki.NewRoot(pki.Spec{CN: "Root", IsCA: true})
	server, _ := root.Issue(pki.Spec{CN: "localhost", Server: true, DNSNames: []string{"localhost"}, IPs: []net.IP{net.IPv4(127, 0, 0, 1)}})
	client, _ := root.Issue(pki.Spec{CN: "joe", Client: true})
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, data, 0o600)
		return p
	}
	caFile := write("ca.pem", certPEMBytes(root.Cert.Raw))
	certFile := write("cert.pem", certPEMBytes(client.Cert.Raw))
	der, _ := x509.MarshalPKCS8PrivateKey(client.Key)
	keyFile := write("key.pem", pemBytes("PRIVATE KEY", der))
	srv, err := serve.New(serve.Config{
		Cert:      tls.Certificate{Certificate: [][]byte{server.Cert.Raw}, PrivateKey: server.Key, Leaf: server.Cert},
		ClientCAs: []*x509.Certificate{root.Cert}, ClientAuth: "require",
	})
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()
	url := "https://" + ln.Addr().String() + "/"
	env := []string{"MTLSWB_WORKSPACE=" + filepath.Join(dir, "none.db")}
	var ours, theirs []time.Duration
	for range 30 {
		ours = append(ours, timeCmd(b, env, bin, "send", "--cert", certFile, "--key", keyFile, "--ca", caFile, url))
		theirs = append(theirs, timeCmd(b, env, "curl", "-s", "-o", "/dev/null", "--fail", "--cert", certFile, "--key", keyFile, "--cacert", caFile, url))
	}
	ratio := float64(median(ours)) / float64(median(theirs))
	b.ReportMetric(float64(median(ours).Microseconds())/1000, "mtlswb-ms")
	b.ReportMetric(float64(median(theirs).Microseconds())/1000, "curl-ms")
	b.ReportMetric(ratio, "ratio")
	b.Logf("send median %v, curl median %v, ratio %.2f (target ≤ 0.8)", median(ours), median(theirs), ratio)
}

// BenchmarkOpenGetIdentity: open + read one identity's certificate (≤ 2 ms).
func BenchmarkOpenGetIdentity(b *testing.B) {
	restore := workspace.AllowWeakKDFForTests()
	defer restore()
	path := filepath.Join(b.TempDir(), "ws.db")
	s, err := workspace.Create(path, workspace.CreateOptions{Passphrase: []byte("x")})
	if err != nil {
		b.Fatal(err)
	}
	keys, _ := s.Unlock([]byte("x"))
	root, _ := pki.NewRoot(pki.Spec{CN: "Root", IsCA: true})
	p, _ := root.Issue(pki.Spec{CN: "joe", Client: true})
	if err := s.Add(keys, []workspace.NewRecord{{Kind: workspace.KindIdentity, Name: "joe", Chain: []*x509.Certificate{p.Cert}, Key: p.Key}}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		s2, err := workspace.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s2.Get("joe"); err != nil {
			b.Fatal(err)
		}
	}
}

func pemBytes(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func certPEMBytes(der []byte) []byte { return pemBytes("CERTIFICATE", der) }
