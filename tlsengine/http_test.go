package tlsengine_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/pki"
	"github.com/mtlswb/mtlswb/tlsengine/tlstest"
)

// startHTTPS runs handler behind TLS with the fixture's server certificate,
// asking for (and verifying, when given) a client certificate.
func startHTTPS(t testing.TB, f *fixture, h2 bool, handler http.HandlerFunc, mut ...func(*tls.Config)) string {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(f.root.Cert)
	srv := httptest.NewUnstartedServer(handler)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{tlstest.TLSCert(f.server)},
		ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: pool}
	for _, m := range mut {
		m(srv.TLS)
	}
	srv.EnableHTTP2 = h2
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // rejected handshakes are the point of most tests
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

func (f *fixture) request(url string) tlsengine.Request {
	return tlsengine.Request{URL: url, ClientCert: cert(f.clientEC), ClientName: "joe",
		Roots: []*x509.Certificate{f.root.Cert}, Timeout: 5 * time.Second}
}

func TestHTTPAnswers(t *testing.T) {
	f := newFixture(t)
	mux := http.NewServeMux()
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/final", http.StatusFound) })
	mux.HandleFunc("/final", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "arrived") })
	mux.HandleFunc("/forbidden", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", http.StatusForbidden) })
	mux.HandleFunc("/broken", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "oops", http.StatusInternalServerError) })
	mux.HandleFunc("/nginx-496", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, "<html>\r\n<head><title>400 No required SSL certificate was sent</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<center>No required SSL certificate was sent</center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n")
	})
	mux.HandleFunc("/nginx-495", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, "<html>\r\n<head><title>400 The SSL certificate error</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<center>The SSL certificate error</center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n")
	})
	mux.HandleFunc("/binary", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00"))
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Write(bytes.Repeat([]byte("abcdefgh"), 2<<20/8)) // 2 MiB of text
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Method", r.Method)
		w.Header().Set("X-Host", r.Host)
		w.Header().Set("X-Client", r.TLS.PeerCertificates[0].Subject.CommonName)
		w.Write(b)
	})
	cases := map[string]struct {
		h2     bool
		lax    bool // a server that takes any certificate, as nginx with ssl_verify_client does
		path   string
		mut    func(r *tlsengine.Request)
		want   tlsengine.Category
		client bool // send no certificate when false... see mut
		check  func(t *testing.T, r tlsengine.Report)
	}{
		"redirect reported, not followed": {path: "/redirect", check: func(t *testing.T, r tlsengine.Report) {
			if r.HTTP.Status != http.StatusFound || r.HTTP.Location != "/final" {
				t.Errorf("status %d location %q, want 302 /final", r.HTTP.Status, r.HTTP.Location)
			}
		}},
		"redirect followed": {path: "/redirect", mut: func(r *tlsengine.Request) { r.Follow = true },
			check: func(t *testing.T, r tlsengine.Report) {
				if r.HTTP.Status != http.StatusOK || r.HTTP.BodyPreview != "arrived" {
					t.Errorf("status %d body %q, want 200 arrived", r.HTTP.Status, r.HTTP.BodyPreview)
				}
			}},
		"http2 negotiated": {h2: true, path: "/final", check: func(t *testing.T, r tlsengine.Report) {
			if r.TLS.ALPN != "h2" || r.HTTP.Proto != "HTTP/2.0" {
				t.Errorf("ALPN %q proto %q, want h2 HTTP/2.0", r.TLS.ALPN, r.HTTP.Proto)
			}
		}},
		"http1 without h2": {path: "/final", check: func(t *testing.T, r tlsengine.Report) {
			if r.HTTP.Proto != "HTTP/1.1" {
				t.Errorf("proto %q, want HTTP/1.1", r.HTTP.Proto)
			}
		}},
		"forbidden":    {path: "/forbidden", want: tlsengine.HTTPForbidden},
		"server error": {path: "/broken", want: tlsengine.HTTPError},
		"nginx no certificate": {path: "/nginx-496", mut: func(r *tlsengine.Request) { r.ClientCert = nil },
			want: tlsengine.ClientCertRequired},
		"nginx certificate error narrowed to expiry": {lax: true, path: "/nginx-495",
			mut: func(r *tlsengine.Request) { r.ClientCert = cert(f.clientExpired) }, want: tlsengine.ClientCertExpired},
		"nginx certificate error narrowed to usage": {lax: true, path: "/nginx-495",
			mut: func(r *tlsengine.Request) { r.ClientCert = cert(f.clientServerOnly) }, want: tlsengine.ClientCertWrongUsage},
		"nginx certificate error": {path: "/nginx-495", want: tlsengine.ClientCertRejected},
		"binary body": {path: "/binary", check: func(t *testing.T, r tlsengine.Report) {
			if !r.HTTP.BodyBinary || !strings.Contains(r.HTTP.BodyPreview, "binary body: 18 bytes, image/png") {
				t.Errorf("binary %v preview %q", r.HTTP.BodyBinary, r.HTTP.BodyPreview)
			}
		}},
		"big body kept up to the limit": {path: "/big", check: func(t *testing.T, r tlsengine.Report) {
			if r.HTTP.BodyBytes != 2<<20 || len(r.HTTP.Body) != 1<<20 {
				t.Errorf("body bytes %d kept %d, want %d and %d", r.HTTP.BodyBytes, len(r.HTTP.Body), 2<<20, 1<<20)
			}
			if len(r.HTTP.BodyPreview) > 5<<10 || !strings.Contains(r.HTTP.BodyPreview, "more bytes") {
				t.Errorf("preview of %d bytes without a truncation note", len(r.HTTP.BodyPreview))
			}
		}},
		"method body and host": {h2: true, path: "/echo", mut: func(r *tlsengine.Request) {
			r.Method, r.Body = "POST", []byte("payload")
			r.Header = http.Header{"Host": {"api.example"}}
		}, check: func(t *testing.T, r tlsengine.Report) {
			h := r.HTTP.Headers
			if r.HTTP.BodyPreview != "payload" || h["X-Method"][0] != "POST" || h["X-Host"][0] != "api.example" || h["X-Client"][0] != "joe-ec" {
				t.Errorf("echo: body %q headers %v", r.HTTP.BodyPreview, h)
			}
		}},
		"tls 1.2 request": {path: "/final", mut: func(r *tlsengine.Request) { r.MaxVersion = tls.VersionTLS12 },
			check: func(t *testing.T, r tlsengine.Report) {
				if r.TLS.Version != "TLS 1.2" || r.TLS.ClientCertSent == nil {
					t.Errorf("version %q sent %v", r.TLS.Version, r.TLS.ClientCertSent)
				}
			}},
	}
	addrs := map[bool]string{false: startHTTPS(t, f, false, mux.ServeHTTP), true: startHTTPS(t, f, true, mux.ServeHTTP)}
	lax := startHTTPS(t, f, false, mux.ServeHTTP, func(c *tls.Config) { c.ClientAuth = tls.RequestClientCert })
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			addr := addrs[c.h2]
			if c.lax {
				addr = lax
			}
			req := f.request("https://" + addr + c.path)
			if c.mut != nil {
				c.mut(&req)
			}
			r := tlsengine.Run(context.Background(), req)
			if r.HTTP == nil {
				t.Fatalf("no HTTP answer:\n%s", dump(t, r))
			}
			switch {
			case c.want == "" && (!r.OK || r.Failure != nil):
				t.Fatalf("want success:\n%s", dump(t, r))
			case c.want != "" && (r.OK || r.Failure == nil || r.Failure.Category != c.want):
				t.Fatalf("want %s:\n%s", c.want, dump(t, r))
			case c.want != "" && r.Failure.Phase != tlsengine.PhaseResponse:
				t.Errorf("phase %s, want response", r.Failure.Phase)
			}
			if r.Timing.TotalMs <= 0 || r.Timing.TLSMs <= 0 {
				t.Errorf("timings missing: %+v", r.Timing)
			}
			if c.check != nil {
				c.check(t, r)
			}
		})
	}
}

// TestSanitized sends hostile text from every place a server controls and
// requires that no control character reaches the sentences of the report
// (summaries, hints, warnings, verdicts...), while the fields that carry
// the server's data (headers, body, certificate names) keep it exactly.
func TestSanitized(t *testing.T) {
	f := newFixture(t)
	const evil = "\x1b]52;c;cGF3bmVk\x07\x1b[2J\x1b]0;owned\x07\u009b31m\u202e"
	spec := tlstest.ServerSpec("evil" + evil)
	spec.DNSNames = append(spec.DNSNames, "x\x1b[31m.example")
	spec.Organization = []string{"org" + evil}
	srvCert, err := f.root.Issue(spec)
	if err != nil {
		t.Fatal(err)
	}
	addr := startHTTPS(t, f, false, func(w http.ResponseWriter, r *http.Request) {
		// Go's client refuses ASCII control characters in headers (the
		// request fails, and the error quoting them is sanitized too); C1
		// controls and bidi overrides pass, so they test the header path.
		w.Header().Set("X-Evil", "v\u009b31m\u202e")
		w.Header().Set("Location", "/next\u009b2J")
		w.WriteHeader(http.StatusTeapot)
		io.WriteString(w, "body"+evil+"\r\nline two")
	}, func(c *tls.Config) { c.Certificates = []tls.Certificate{tlstest.TLSCert(srvCert)} })

	ctl := startHTTPS(t, f, false, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Evil", "v"+evil)
	})
	for name, req := range map[string]tlsengine.Request{
		"request":            f.request("https://" + addr + "/" + "%1b"),
		"control in headers": f.request("https://" + ctl + "/"),
		"hostname mismatch": func() tlsengine.Request {
			r := f.request("https://" + addr + "/")
			r.ServerName = "other.example"
			return r
		}(),
		"insecure": func() tlsengine.Request {
			r := f.request("https://" + addr + "/")
			r.Insecure, r.Roots = true, []*x509.Certificate{f.rogue.Cert}
			return r
		}(),
	} {
		t.Run(name, func(t *testing.T) {
			r := tlsengine.Run(context.Background(), req)
			b := proseOnly(t, r)
			// json.Marshal escapes C0 controls as \u00XX and writes C1 and
			// bidi characters as they are: both forms must be absent.
			for _, bad := range []string{"\x1b", "\x07", "\\u001b", "\\u0007", "\u009b", "\u202e", "\r", "\\r"} {
				if bytes.Contains(b, []byte(bad)) {
					t.Errorf("report contains %q:\n%s", bad, dump(t, r))
				}
			}
			// Visible: in caret notation, or as Go quoted it in an error.
			if !bytes.Contains(b, []byte("^[")) && !bytes.Contains(b, []byte(`\\x1b`)) {
				t.Errorf("the hostile text should be visible somewhere:\n%s", dump(t, r))
			}
			// Exact where the data is.
			if h := r.HTTP; h != nil && h.Status == http.StatusTeapot {
				if h.Headers["X-Evil"][0] != "v\u009b31m\u202e" || h.Location != "/next\u009b2J" || string(h.Body) != "body"+evil+"\r\nline two" {
					t.Errorf("the answer is not kept exactly: %q, %q, %q", h.Headers["X-Evil"], h.Location, h.Body)
				}
			}
			if name != "control in headers" && r.TLS.ServerChain[0].Subject != srvCert.Cert.Subject.String() {
				t.Errorf("subject %q, want %q", r.TLS.ServerChain[0].Subject, srvCert.Cert.Subject.String())
			}
		})
	}
}

// proseOnly is r's JSON without the fields that carry the server's data
// exactly: what remains is what mtlswb wrote.
func proseOnly(t *testing.T, r tlsengine.Report) []byte {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	drop := func(v any, keys ...string) {
		if m, ok := v.(map[string]any); ok {
			for _, k := range keys {
				delete(m, k)
			}
		}
	}
	drop(doc["http"], "headers", "headers_base64", "location", "body", "body_preview")
	drop(doc["application"], "code", "message", "next")
	tlsInfo, _ := doc["tls"].(map[string]any)
	drop(tlsInfo, "acceptable_cas")
	drop(tlsInfo["client_cert_sent"], "subject", "issuer")
	chain, _ := tlsInfo["server_chain"].([]any)
	for _, l := range chain {
		drop(l, "subject", "issuer", "dns_names", "ip_addresses", "uris", "email_addresses")
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// startProxy runs a CONNECT proxy on 127.0.0.1; refuse makes it answer 403.
func startProxy(t *testing.T, refuse bool) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var open []net.Conn
	track := func(c net.Conn) {
		mu.Lock()
		open = append(open, c)
		mu.Unlock()
	}
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range open {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			track(c)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				req, err := http.ReadRequest(bufio.NewReader(c))
				if err != nil || req.Method != http.MethodConnect {
					return
				}
				if refuse {
					io.WriteString(c, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
					return
				}
				up, err := net.Dial("tcp", req.Host)
				if err != nil {
					io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
					return
				}
				track(up)
				defer up.Close()
				io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
				done := make(chan struct{})
				go func() { io.Copy(up, c); up.Close(); close(done) }()
				io.Copy(c, up)
				c.Close()
				<-done
			}()
		}
	}()
	return ln.Addr().String()
}

func TestProxy(t *testing.T) {
	f := newFixture(t)
	addr := startHTTPS(t, f, true, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "via proxy") })
	t.Run("tunnel", func(t *testing.T) {
		req := f.request("https://" + addr + "/")
		req.Proxy = "http://" + startProxy(t, false)
		r := tlsengine.Run(context.Background(), req)
		if !r.OK || r.HTTP.BodyPreview != "via proxy" || r.TLS.ClientCertSent == nil {
			t.Fatalf("want success through the proxy:\n%s", dump(t, r))
		}
	})
	t.Run("refused", func(t *testing.T) {
		req := f.request("https://" + addr + "/")
		req.Proxy = "http://" + startProxy(t, true)
		r := tlsengine.Run(context.Background(), req)
		if r.Failure == nil || r.Failure.Category != tlsengine.ConnectionRefused || !strings.Contains(r.Failure.Summary, "proxy") {
			t.Fatalf("want a proxy refusal:\n%s", dump(t, r))
		}
	})
	t.Run("probe", func(t *testing.T) {
		req := f.request(addr)
		req.Probe, req.Proxy = true, "http://"+startProxy(t, false)
		if r := tlsengine.Run(context.Background(), req); !r.OK {
			t.Fatalf("want a successful probe through the proxy:\n%s", dump(t, r))
		}
	})
}

// TestProbeDoesNotWaitWhenAccepted: a TLS 1.3 server that accepts the client
// certificate sends session tickets, which end the wait for a late alert
// long before lateAlertWait.
func TestProbeDoesNotWaitWhenAccepted(t *testing.T) {
	f := newFixture(t)
	addr := startHTTPS(t, f, true, func(w http.ResponseWriter, r *http.Request) {})
	req := f.request(addr)
	req.Probe = true
	r := tlsengine.Run(context.Background(), req)
	if !r.OK || r.TLS.Version != "TLS 1.3" || !r.TLS.ClientCertRequested {
		t.Fatalf("want an accepted TLS 1.3 probe with a certificate request:\n%s", dump(t, r))
	}
	if r.Timing.TotalMs >= 400 {
		t.Errorf("probe took %.1f ms: it waited for the late-alert timeout instead of the server's tickets", r.Timing.TotalMs)
	}
}

func TestCanceled(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := f.request("https://" + tlstest.StartSilent(t) + "/")
	r := tlsengine.Run(ctx, req)
	if r.Failure == nil || r.Failure.Category != tlsengine.Canceled {
		t.Fatalf("want canceled:\n%s", dump(t, r))
	}
}

func TestIdentityVerdicts(t *testing.T) {
	f := newFixture(t)
	p384, err := f.root.Issue(pki.Spec{CN: "joe-p384", Client: true, Key: pki.ECP384})
	if err != nil {
		t.Fatal(err)
	}
	chains := func(ps ...pki.Pair) []tlsengine.NamedChain {
		var out []tlsengine.NamedChain
		for _, p := range ps {
			out = append(out, tlsengine.NamedChain{Name: p.Cert.Subject.CommonName, Chain: []*x509.Certificate{p.Cert}})
		}
		return out
	}
	// The server allows only ECDSA P-256 and RSA-PSS client signatures, so
	// P-384 and Ed25519 keys cannot sign its CertificateVerify.
	o := tlstest.StartOpenSSL(t, f.opensslArgs(t, f.server, "-client_sigalgs", "ECDSA+SHA256:rsa_pss_rsae_sha256")...)
	req := f.request(o)
	req.Probe = true
	req.Candidates = chains(f.clientEC, f.clientRogue, f.clientExpired, f.clientServerOnly, p384, f.clientEd)
	r := tlsengine.Run(context.Background(), req)
	if !r.OK {
		t.Fatalf("want success:\n%s", dump(t, r))
	}
	want := map[string]string{
		"joe":            "accepted",
		"joe-rogue":      "issued by CN=Rogue CA",
		"joe-expired":    "expired at",
		"joe-server-eku": "no clientAuth",
		"joe-p384":       "key type ec-p384",
		"joe-ed25519":    "key type ed25519",
	}
	got := map[string]tlsengine.IdentityVerdict{}
	for _, v := range r.Identities {
		got[v.Name] = v
	}
	for name, reason := range want {
		v, ok := got[name]
		if !ok {
			t.Errorf("no verdict for %s:\n%s", name, dump(t, r))
			continue
		}
		if v.Accepted != (reason == "accepted") || !strings.Contains(v.Reason, reason) {
			t.Errorf("%s: accepted=%v reason %q, want %q", name, v.Accepted, v.Reason, reason)
		}
	}
	if _, dup := got["joe-ec"]; dup {
		t.Errorf("the chosen certificate is listed twice")
	}
}
