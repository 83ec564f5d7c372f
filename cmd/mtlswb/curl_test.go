package main

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/mtlswb/mtlswb/tlsengine/certfile"
	"github.com/mtlswb/mtlswb/tlsengine/pki"
	"github.com/mtlswb/mtlswb/tlsengine/tlstest"
)

// curlServer answers with what it received: method, client CN, the
// headers curl flags set, and the body; /big answers 2 MiB.
func curlServer(t *testing.T, root pki.Pair, server pki.Pair) string {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(root.Cert)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			w.Write([]byte(strings.Repeat("x", 2<<20)))
			return
		}
		body, _ := io.ReadAll(r.Body)
		cn := "none"
		if len(r.TLS.PeerCertificates) > 0 {
			cn = r.TLS.PeerCertificates[0].Subject.CommonName
		}
		w.Header().Set("X-Seen", "yes")
		fmt.Fprintf(w, "method=%s cn=%s auth=%q ua=%q host=%s body=%q\n", r.Method, cn, r.Header.Get("Authorization"), r.Header.Get("User-Agent"), r.Host, body)
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{tlstest.TLSCert(server)}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	srv.EnableHTTP2 = true
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

func TestSendCurlFlags(t *testing.T) {
	e := newEnv(t)
	root := mustPair(t)(pki.NewRoot(pki.Spec{CN: "Curl Root", IsCA: true}))
	server := mustPair(t)(root.Issue(tlstest.ServerSpec("localhost")))
	joe := mustPair(t)(root.Issue(pki.Spec{CN: "joe", Client: true}))
	addr := curlServer(t, root, server)
	_, port, _ := net.SplitHostPort(addr)
	url := "https://" + addr + "/x"

	rootFile := e.file("root.pem", certPEM(root.Cert))
	capath := filepath.Join(e.dir, "capath")
	e.file("capath/root.pem", certPEM(root.Cert))
	e.file("capath/README", []byte("not a certificate"))
	combined := e.file("joe-combined.pem", append(certPEM(joe.Cert), keyPEM(t, joe)...))
	encPEM, err := certfile.EncodePEM([]*x509.Certificate{joe.Cert}, joe.Key, []byte("pem:pass"))
	if err != nil {
		t.Fatal(err)
	}
	encrypted := e.file("joe-enc.pem", encPEM)
	p12, err := certfile.EncodeP12([]*x509.Certificate{joe.Cert}, joe.Key, []byte("p12pass"), false)
	if err != nil {
		t.Fatal(err)
	}
	p12File := e.file("joe.bin", p12) // no .p12 extension: read by content
	bodyFile := e.file("body.txt", []byte("from a file\n"))
	out := filepath.Join(e.dir, "out.txt")
	certOnly := e.file("joe.crt", certPEM(joe.Cert))
	ann := mustPair(t)(root.Issue(pki.Spec{CN: "ann", Client: true}))
	annKey := e.file("ann.key", keyPEM(t, ann))

	cases := []struct {
		name       string
		args       []string
		code       int
		stdout     []string // substrings
		stderr     []string
		noStdout   []string
		stdoutOnly bool // -s: stdout is the body alone
	}{
		{name: "combined file with --cert alone, -sS", args: []string{"-sS", "--cacert", rootFile, "--cert", combined, url},
			stdout: []string{"method=GET cn=joe"}, stdoutOnly: true},
		{name: "-E with the passphrase after a colon", args: []string{"-s", "--cacert", rootFile, "-E", encrypted + ":pem:pass", url},
			stdout: []string{"cn=joe"}},
		{name: "PKCS#12 by --cert-type and --pass", args: []string{"-s", "--cacert", rootFile, "--cert", p12File, "--cert-type", "P12", "--pass", "p12pass", url},
			stdout: []string{"cn=joe"}},
		{name: "-k instead of trust", args: []string{"-sk", "--cert", combined, url}, stdout: []string{"cn=joe"}},
		{name: "--capath", args: []string{"-s", "--capath", capath, "--cert", combined, url}, stdout: []string{"cn=joe"}},
		{name: "-XPOST -d @file -u -A", args: []string{"-s", "-XPOST", "-d", "@" + bodyFile, "-u", "ann:pw", "-A", "curlish/1", "--cacert", rootFile, "--cert", combined, url},
			stdout: []string{`method=POST`, `auth="Basic YW5uOnB3"`, `ua="curlish/1"`, `body="from a file\n"`}},
		{name: "two -d joined with &, --data-raw keeps @", args: []string{"-s", "-d", "a=1", "--data-raw", "@b", "--cacert", rootFile, "--cert", combined, url},
			stdout: []string{`body="a=1&@b"`}},
		{name: "-i: status line and headers first", args: []string{"-i", "--cacert", rootFile, "--cert", combined, url},
			stdout: []string{"HTTP/2.0 200\r\n", "X-Seen: yes\r\n", "\r\n\r\nmethod=GET"}},
		{name: "-I: HEAD, headers only", args: []string{"-I", "--cacert", rootFile, "--cert", combined, url},
			stdout: []string{"HTTP/2.0 200\r\n"}, noStdout: []string{"method="}},
		{name: "-v: report on stderr, body on stdout", args: []string{"-v", "--cacert", rootFile, "--cert", combined, url},
			stdout: []string{"method=GET"}, stderr: []string{"Verdict", "OK"}, noStdout: []string{"Verdict"}},
		{name: "--resolve: another address, same SNI and Host", args: []string{"--resolve", "localhost:" + port + ":127.0.0.1", "--cacert", rootFile, "--cert", combined, "https://localhost:" + port + "/"},
			stdout: []string{"route: 127.0.0.1:" + port + " dialled for localhost:" + port + " (--connect-to/--resolve)"}},
		{name: "--connect-to", args: []string{"-s", "--connect-to", "localhost:1:127.0.0.1:" + port, "--cacert", rootFile, "--cert", combined, "https://localhost:1/"},
			stdout: []string{"host=localhost:1"}},
		{name: "-m and --tlsv1.3", args: []string{"-s", "-m", "5", "--tlsv1.3", "--cacert", rootFile, "--cert", combined, url}, stdout: []string{"cn=joe"}},
		{name: "-sSfL combined", args: []string{"-sSfL", "--cacert", rootFile, "--cert", combined, url}, stdout: []string{"cn=joe"}},
		{name: "silent failure: verdict on stderr only", args: []string{"-s", "--cacert", rootFile, url}, code: 1,
			stderr: []string{"mtlswb: failed: client-cert-required"}, noStdout: []string{"Verdict"}},
		{name: "--max-response: the body cut, with a warning", args: []string{"--max-response", "1K", "--cacert", rootFile, "--cert", combined, "https://" + addr + "/big"},
			stdout: []string{"warning: the body was cut at 1 KiB", "raise --max-response SIZE", "1024 bytes read, then cut (--max-response)"}},
		{name: "--max-response --json", args: []string{"--max-response", "1K", "--json", "--cacert", rootFile, "--cert", combined, "https://" + addr + "/big"},
			stdout: []string{`"body_bytes":1024`, `"body_truncated":true`, "the body was cut at 1 KiB"}},
		{name: "bad --max-response", args: []string{"--max-response", "lots", url}, code: 2, stderr: []string{"-max-response: \"lots\" is not a size"}},
		// -o saves the whole body whatever --max-response says.
		{name: "-o FILE: the whole body", args: []string{"-o", out, "--max-response", "1K", "--cacert", rootFile, "--cert", combined, "https://" + addr + "/big"},
			stdout: []string{"Verdict"}, stderr: []string{"wrote the 2097152-byte body to " + out}},
		{name: "bad -m", args: []string{"-m", "soon", url}, code: 2, stderr: []string{"--max-time takes seconds"}},
		{name: "-m with --timeout", args: []string{"-m", "1", "--timeout", "1s", url}, code: 2, stderr: []string{"give one"}},
		{name: "-u without password", args: []string{"-u", "ann", url}, code: 2, stderr: []string{"USER:PASSWORD"}},
		{name: "bad --cert-type", args: []string{"--cert-type", "ENG", url}, code: 2, stderr: []string{"--cert-type must be one of PEM, DER, P12"}},
		{name: "bad --resolve", args: []string{"--resolve", "localhost:443", url}, code: 2, stderr: []string{"use HOST:PORT:ADDRESS"}},
		{name: "--cert without a key", args: []string{"--cert", certOnly, url}, code: 2,
			stderr: []string{"--cert " + certOnly + " holds no private key: give --key FILE too"}},
		{name: "a key of another certificate", args: []string{"--cert", certOnly, "--key", annKey, url}, code: 2,
			stderr: []string{"the ec-p256 key in --key " + annKey + " does not match the certificate in --cert " + certOnly + " (CN=joe)"}},
		{name: "-I with -d", args: []string{"-I", "-d", "x", url}, code: 2, stderr: []string{"--head sends no body"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.run(append([]string{"send", "--no-profile"}, tc.args...)...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d: %s", r.code, tc.code, r)
			}
			for _, w := range tc.stdout {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("stdout lacks %q: %s", w, r)
				}
			}
			for _, w := range tc.stderr {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q: %s", w, r)
				}
			}
			for _, w := range tc.noStdout {
				if strings.Contains(r.stdout, w) {
					t.Errorf("stdout has %q: %s", w, r)
				}
			}
			if tc.stdoutOnly && (!strings.HasPrefix(r.stdout, "method=") || r.stderr != "") {
				t.Errorf("-s must print the body alone: %s", r)
			}
		})
	}
	if b, err := os.ReadFile(out); err != nil || len(b) != 2<<20 {
		t.Errorf("-o wrote %d bytes (%v), want the whole 2 MiB", len(b), err)
	}
}

func TestExpandShortFlags(t *testing.T) {
	fs := sendFlagSet(t)
	for in, want := range map[string][]string{
		"-sSk URL":             {"-s", "-S", "-k", "URL"},
		"-XPOST URL":           {"-X", "POST", "URL"},
		"-so FILE URL":         {"-s", "-o", "FILE", "URL"},
		"-H -sS URL":           {"-H", "-sS", "URL"}, // a header's value is not expanded
		"--identity -kL URL":   {"--identity", "-kL", "URL"},
		"-identity joe URL":    {"-identity", "joe", "URL"},
		"-json URL":            {"-json", "URL"},
		"-zq URL":              {"-zq", "URL"}, // unknown: left for the flag package to refuse
		"URL -- -sS":           {"URL", "--", "-sS"},
		"-k --tlsv1.3 -m5 URL": {"-k", "--tlsv1.3", "-m", "5", "URL"},
	} {
		if got := expandShortFlags(fs, strings.Fields(in)); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %q, want %q", in, got, want)
		}
	}
}

func TestSplitColons(t *testing.T) {
	for in, want := range map[string][]string{
		"a:1:127.0.0.1":     {"a", "1", "127.0.0.1"},
		"a:443:[::1]":       {"a", "443", "[::1]"},
		"::other:8443":      {"", "", "other", "8443"},
		"[::1]:443:b:":      {"[::1]", "443", "b", ""},
		"just-one-part-for": {"just-one-part-for"},
	} {
		if got := splitColons(in); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %q, want %q", in, got, want)
		}
	}
}

// TestREADMECurlTable: every curl flag the README's table names is a flag
// of `send`.
func TestREADMECurlTable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	section := string(readme)
	start := strings.Index(section, "### For curl users")
	if start < 0 {
		t.Fatal("README has no '### For curl users' section")
	}
	section = section[start:]
	section = section[:strings.Index(section[3:], "\n#")+3]
	fs := sendFlagSet(t)
	checked := 0
	for _, row := range strings.Split(section, "\n") {
		cells := strings.Split(row, "|")
		if len(cells) < 3 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`-") {
			continue
		}
		for _, m := range regexpFlag.FindAllStringSubmatch(cells[1], -1) {
			name := m[1]
			if fs.Lookup(name) == nil && name != "follow" && name != "proxy" {
				t.Errorf("the curl table names -%s, which send does not accept", name)
			}
			checked++
		}
	}
	if checked < 30 {
		t.Errorf("checked only %d curl flags; the table's format changed?", checked)
	}
}

var regexpFlag = regexp.MustCompile("`--?([a-zA-Z][a-zA-Z0-9.-]*)")

// sendFlagSet is send's flags, curl's included, as cmdSend declares them.
func sendFlagSet(t *testing.T) *flag.FlagSet {
	fs := newCLI(t.Context(), nil, io.Discard, io.Discard).flags()
	tf := addTLSFlags(fs)
	var method string
	var headers stringList
	follow, proxy := false, ""
	addCurlFlags(fs, tf, &method, &headers, &follow, &proxy)
	fs.StringVar(&method, "X", "", "")
	fs.Var(&headers, "H", "")
	return fs
}
