package tlsengine_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine"
)

func TestValidate(t *testing.T) {
	good := tlsengine.Request{URL: "https://example.test/path"}
	cases := map[string]struct {
		mut  func(r *tlsengine.Request)
		want string // "" means valid; else a fragment of the error
	}{
		"https url":              {},
		"url with port":          {mut: func(r *tlsengine.Request) { r.URL = "https://example.test:8443/x?q=1" }},
		"probe host:port":        {mut: func(r *tlsengine.Request) { r.Probe, r.URL = true, "example.test:8443" }},
		"probe bare host":        {mut: func(r *tlsengine.Request) { r.Probe, r.URL = true, "example.test" }},
		"probe ipv6":             {mut: func(r *tlsengine.Request) { r.Probe, r.URL = true, "[::1]:443" }},
		"probe url":              {mut: func(r *tlsengine.Request) { r.Probe, r.URL = true, "https://example.test/" }},
		"empty url":              {mut: func(r *tlsengine.Request) { r.URL = "" }, want: "no URL"},
		"http scheme":            {mut: func(r *tlsengine.Request) { r.URL = "http://example.test/" }, want: "use https://"},
		"request without scheme": {mut: func(r *tlsengine.Request) { r.URL = "example.test:443" }, want: "needs https://"},
		"no host":                {mut: func(r *tlsengine.Request) { r.URL = "https:///path" }, want: "no host"},
		"bad port":               {mut: func(r *tlsengine.Request) { r.URL = "https://example.test:99999/" }, want: "invalid port"},
		"probe bad port":         {mut: func(r *tlsengine.Request) { r.Probe, r.URL = true, "example.test:http" }, want: "invalid port"},
		"bad method":             {mut: func(r *tlsengine.Request) { r.Method = "GE T" }, want: "invalid method"},
		"bad header name":        {mut: func(r *tlsengine.Request) { r.Header = http.Header{"Bad Name": {"x"}} }, want: "invalid header name"},
		"bad header value":       {mut: func(r *tlsengine.Request) { r.Header = http.Header{"X": {"a\nb"}} }, want: "control characters"},
		"negative timeout":       {mut: func(r *tlsengine.Request) { r.Timeout = -time.Second }, want: "invalid timeout"},
		"versions swapped": {mut: func(r *tlsengine.Request) { r.MinVersion, r.MaxVersion = tls.VersionTLS13, tls.VersionTLS12 },
			want: "above the maximum"},
		"unknown version":  {mut: func(r *tlsengine.Request) { r.MaxVersion = 0x0305 }, want: "unknown TLS version"},
		"proxy":            {mut: func(r *tlsengine.Request) { r.Proxy = "http://proxy.test:3128" }},
		"socks proxy":      {mut: func(r *tlsengine.Request) { r.Proxy = "socks5://proxy.test:1080" }, want: "CONNECT proxy"},
		"cert without key": {mut: func(r *tlsengine.Request) { r.ClientCert = &tls.Certificate{} }, want: "no certificate data"},
		"hostile url":      {mut: func(r *tlsengine.Request) { r.URL = "http://\x1b]0;x\x07/" }, want: "^["},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r := good
			if c.mut != nil {
				c.mut(&r)
			}
			err := r.Validate()
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("Validate() = %v, want an error containing %q", err, c.want)
			case err != nil && strings.ContainsAny(err.Error(), "\x1b\x07"):
				t.Fatalf("error carries raw control characters: %q", err)
			}
			if err != nil {
				// Run must not panic or dial, and must report the same problem.
				rep := tlsengine.Run(context.Background(), r)
				if rep.OK || rep.Failure == nil || rep.Failure.Category != tlsengine.InvalidRequest || rep.Failure.Phase != tlsengine.PhaseSetup {
					t.Fatalf("Run on an invalid request: %+v", rep.Failure)
				}
			}
		})
	}
}

// TestCategoriesListed keeps the vocabulary list complete: every category
// the engine can produce must be in Categories, once.
func TestCategoriesListed(t *testing.T) {
	seen := map[tlsengine.Category]bool{}
	for _, c := range tlsengine.Categories {
		if seen[c] {
			t.Errorf("%s listed twice", c)
		}
		seen[c] = true
	}
	for _, c := range []tlsengine.Category{tlsengine.InvalidRequest, tlsengine.Canceled, tlsengine.TLSError, tlsengine.ServerChainIncomplete} {
		if !seen[c] {
			t.Errorf("%s missing from Categories", c)
		}
	}
}

func TestSecretsRedacted(t *testing.T) {
	for name, r := range map[string]tlsengine.Request{
		"url":           {URL: "http://joe:s3cret@example.test/"},
		"proxy":         {URL: "https://example.test/", Proxy: "socks5://joe:s3cret@proxy.test:1080"},
		"unparseable":   {URL: "https://joe:s3cret@exa mple.test/"},
		"probe invalid": {URL: "joe:s3cret@example.test:99999", Probe: true},
	} {
		t.Run(name, func(t *testing.T) {
			rep := tlsengine.Run(context.Background(), r)
			b, _ := json.Marshal(rep)
			if strings.Contains(string(b), "s3cret") {
				t.Fatalf("the password appears in the report: %s", b)
			}
		})
	}
}
