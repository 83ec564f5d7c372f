package tlsengine_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/serve"
	"github.com/mtlswb/mtlswb/tlsengine/tlstest"
)

// updateGolden rewrites testdata/engine/*.golden. It is not called -update:
// github.com/charmbracelet/x/exp/golden owns that flag name, and two
// registrations in one test binary panic.
var updateGolden = flag.Bool("update-golden", false, "rewrite the engine's golden files")

// masks replace what changes from run to run: fingerprints, dates, ports,
// timings, and the cipher suite (AES-GCM or ChaCha20 depending on the CPU).
var masks = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`"(sha256|started_at|not_before|not_after)": "[^"]*"`), `"$1": "<masked>"`},
	{regexp.MustCompile(`"(\w+_ms)": [0-9.e+-]+`), `"$1": 0`},
	{regexp.MustCompile(`"cipher_suite": "TLS_\w+"`), `"cipher_suite": "<masked>"`},
	{regexp.MustCompile(`127\.0\.0\.1:\d+`), `127.0.0.1:PORT`},
	{regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`), `<time>`},
	{regexp.MustCompile(`(?s)"Date": \[\s*"[^"]*"\s*\]`), `"Date": ["<masked>"]`},
}

func masked(t *testing.T, r tlsengine.Report) []byte {
	t.Helper()
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range masks {
		b = m.re.ReplaceAll(b, []byte(m.with))
	}
	return append(b, '\n')
}

func TestReportGolden(t *testing.T) {
	f := newFixture(t)
	goServer := tlstest.StartServe(t, serve.Config{Cert: tlstest.TLSCert(f.server), ClientCAs: []*x509.Certificate{f.root.Cert}})
	otherName := tlstest.StartServe(t, serve.Config{Cert: tlstest.TLSCert(f.serverOtherName), ClientCAs: []*x509.Certificate{f.root.Cert}})
	hello := startHTTPS(t, f, false, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "hello, joe-ec\n")
	})
	candidates := []tlsengine.NamedChain{
		{Name: "partner-joe", Chain: []*x509.Certificate{f.clientEC.Cert}},
		{Name: "old-joe", Chain: []*x509.Certificate{f.clientExpired.Cert}},
	}
	cases := map[string]tlsengine.Request{
		"unknown-ca-probe": {URL: goServer, Probe: true, ClientCert: cert(f.clientRogue), ClientName: "rogue-joe",
			Roots: []*x509.Certificate{f.root.Cert}, RootNames: []string{"test-root"}, Candidates: candidates},
		"hostname-mismatch": {URL: "https://" + otherName + "/", ClientCert: cert(f.clientEC), ClientName: "partner-joe",
			Roots: []*x509.Certificate{f.root.Cert}},
		"ok-request": {URL: "https://" + hello + "/hello", ClientCert: cert(f.clientEC), ClientName: "partner-joe",
			Roots: []*x509.Certificate{f.root.Cert}},
		"not-tls": {URL: "https://" + tlstest.StartPlainHTTP(t) + "/"},
	}
	for name, req := range cases {
		t.Run(name, func(t *testing.T) {
			got := masked(t, tlsengine.Run(context.Background(), req))
			path := filepath.Join("..", "testdata", "engine", name+".golden")
			if *updateGolden {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update-golden to create it)", err)
			}
			if string(got) != string(want) {
				t.Errorf("report differs from %s (run with -update-golden if the change is intended):\n--- got\n%s", path, got)
			}
		})
	}
}
