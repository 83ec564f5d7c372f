package serve_test

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine/boundtoken"
	"github.com/mtlswb/mtlswb/tlsengine/boundtoken/boundtokentest"
	"github.com/mtlswb/mtlswb/tlsengine/pki"
	"github.com/mtlswb/mtlswb/tlsengine/serve"
	"github.com/mtlswb/mtlswb/tlsengine/tlstest"
)

// getWithAuth makes one request with client certificate c (nil: none) and
// the Authorization header auth ("" : none).
func (e env) getWithAuth(t *testing.T, addr string, c *tls.Certificate, auth string) (*http.Response, serve.Echo) {
	t.Helper()
	cfg := &tls.Config{RootCAs: e.roots, ServerName: "localhost"}
	if c != nil {
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return c, nil }
	}
	tr := &http.Transport{TLSClientConfig: cfg, ForceAttemptHTTP2: true}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequest(http.MethodGet, "https://"+addr+"/resource", nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var echo serve.Echo
	if err := json.NewDecoder(resp.Body).Decode(&echo); err != nil {
		t.Fatal(err)
	}
	return resp, echo
}

func TestBoundTokens(t *testing.T) {
	e := newEnv(t)
	must := func(p pki.Pair, err error) pki.Pair {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	// Self-signed client certificates, as RFC 8705's
	// self_signed_tls_client_auth uses them: the server asks for a
	// certificate without verifying it, and the binding does the rest.
	joe := must(pki.NewRoot(pki.Spec{CN: "joe", Client: true}))
	bob := must(pki.NewRoot(pki.Spec{CN: "bob", Client: true}))
	joeTLS, bobTLS := tlstest.TLSCert(joe), tlstest.TLSCert(bob)
	joeToken := boundtokentest.BoundTo("joe", joe.Cert)
	addr := tlstest.StartServe(t, serve.Config{Cert: e.p.ServerCert(), ClientAuth: serve.Request, BoundTokens: true})

	cases := map[string]struct {
		cert   *tls.Certificate
		auth   string
		ok     bool
		reason string
	}{
		"bound token, right identity": {&joeTLS, "Bearer " + joeToken, true, "bound to the presented certificate"},
		"bound token, other identity": {&bobTLS, "Bearer " + joeToken, false,
			"token is bound to certificate " + boundtoken.Thumbprint(joe.Cert) + ", but the client presented " + boundtoken.Thumbprint(bob.Cert)},
		"bound token, no certificate": {nil, "Bearer " + joeToken, false, "the client presented no certificate"},
		"no authorization":            {&joeTLS, "", false, "no bearer token"},
		"basic authorization":         {&joeTLS, "Basic dXNlcjpwYXNz", false, "no bearer token"},
		"opaque token":                {&joeTLS, "Bearer 2YotnFZFEjr1zCsicMWpAA", false, "token is not a JWT"},
		"unbound token":               {&joeTLS, "Bearer " + boundtokentest.Token(boundtokentest.Claims("joe")), false, "token has no cnf.x5t#S256 (not certificate-bound)"},
		"hex thumbprint":              {&joeTLS, "Bearer " + boundtokentest.WithX5t("joe", fmt.Sprintf("%x", sha256.Sum256(joe.Cert.Raw))), false, "as hex"},
		"hostile thumbprint":          {&joeTLS, "Bearer " + boundtokentest.WithX5t("joe", "\x1b[2Jx"), false, "token is bound to certificate ^[[2Jx"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			resp, echo := e.getWithAuth(t, addr, c.cert, c.auth)
			bt := echo.BoundToken
			if bt == nil {
				t.Fatalf("no bound_token in the echo: %+v", echo)
			}
			if bt.SignatureVerified {
				t.Error("signature_verified is true; the server never verifies signatures")
			}
			if !strings.Contains(bt.Reason, c.reason) {
				t.Errorf("reason %q, want it to contain %q", bt.Reason, c.reason)
			}
			if strings.ContainsAny(bt.Reason+echo.Error, "\x1b") {
				t.Errorf("reason carries control characters: %q", bt.Reason)
			}
			if c.ok {
				if resp.StatusCode != http.StatusOK || !echo.OK || !bt.Bound || echo.Error != "" {
					t.Errorf("status %d, echo %+v, token %+v; want 200 and bound", resp.StatusCode, echo, bt)
				}
				return
			}
			if resp.StatusCode != http.StatusUnauthorized || echo.OK || bt.Bound || echo.Error != bt.Reason {
				t.Errorf("status %d, echo %+v, token %+v; want 401 with the reason", resp.StatusCode, echo, bt)
			}
			if !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), `Bearer error="invalid_token"`) {
				t.Errorf("WWW-Authenticate = %q", resp.Header.Get("WWW-Authenticate"))
			}
		})
	}
}

// TestBoundTokensWithVerifiedClients combines the binding with a CA that
// verifies the client certificate (tls_client_auth) and the CN allow list:
// the allow list's reason wins, the token is still reported.
func TestBoundTokensWithVerifiedClients(t *testing.T) {
	e := newEnv(t)
	eve, err := e.p.Root.Issue(pki.Spec{CN: "eve", Client: true})
	if err != nil {
		t.Fatal(err)
	}
	addr := tlstest.StartServe(t, serve.Config{Cert: e.p.ServerCert(), ClientCAs: []*x509.Certificate{e.p.Root.Cert},
		AllowCN: []string{"client"}, BoundTokens: true})
	resp, echo := e.getWithAuth(t, addr, e.p.ClientCert(), "Bearer "+boundtokentest.BoundTo("client", e.p.Client.Cert))
	if resp.StatusCode != http.StatusOK || echo.BoundToken == nil || !echo.BoundToken.Bound {
		t.Fatalf("allowed and bound: status %d echo %+v", resp.StatusCode, echo)
	}
	eveTLS := tlstest.TLSCert(eve)
	resp, echo = e.getWithAuth(t, addr, &eveTLS, "Bearer "+boundtokentest.BoundTo("eve", eve.Cert))
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(echo.Error, `CN "eve" is not allowed`) || !echo.BoundToken.Bound {
		t.Fatalf("bound but not allowed: status %d echo %+v token %+v", resp.StatusCode, echo, echo.BoundToken)
	}
}

// TestNoBoundTokensByDefault: without the option, tokens are ignored and
// not reported.
func TestNoBoundTokensByDefault(t *testing.T) {
	e := newEnv(t)
	addr := tlstest.StartServe(t, serve.Config{Cert: e.p.ServerCert(), ClientAuth: serve.Request})
	resp, echo := e.getWithAuth(t, addr, e.p.ClientCert(), "")
	if resp.StatusCode != http.StatusOK || echo.BoundToken != nil {
		t.Fatalf("status %d, bound_token %+v", resp.StatusCode, echo.BoundToken)
	}
}
