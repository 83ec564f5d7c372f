package main

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/url"
	"strings"
	"testing"

	"github.com/mtlswb/mtlswb/tlsengine/boundtoken"
	"github.com/mtlswb/mtlswb/tlsengine/boundtoken/boundtokentest"
	"github.com/mtlswb/mtlswb/tlsengine/pki"
	"github.com/mtlswb/mtlswb/workspace"
)

// rfc8705Env is a workspace with two self-signed identities, joe and bob,
// and their certificates.
func rfc8705Env(t *testing.T) (*env, *x509.Certificate, *x509.Certificate) {
	t.Helper()
	e := newEnv(t)
	e.ok("pki", "self-signed", "joe", "--cn", "joe-client", "--client")
	e.ok("pki", "self-signed", "bob", "--cn", "bob-client")
	return e, e.cert("joe"), e.cert("bob")
}

// cert returns the leaf certificate of a workspace record.
func (e *env) cert(name string) *x509.Certificate {
	e.t.Helper()
	s, err := workspace.Open(e.ws)
	if err != nil {
		e.t.Fatal(err)
	}
	rec, err := s.Get(name)
	if err != nil {
		e.t.Fatal(err)
	}
	return rec.Chain[0]
}

func TestTokenCheck(t *testing.T) {
	e, joe, bob := rfc8705Env(t)
	joeSum := sha256.Sum256(joe.Raw)
	expired := boundtokentest.Claims("joe")
	expired["exp"] = 1700000000
	expired["cnf"] = map[string]any{"x5t#S256": boundtoken.Thumbprint(joe)}
	dpop := boundtokentest.Claims("joe")
	dpop["cnf"] = map[string]any{"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}
	cases := map[string]struct {
		token   string
		code    int
		bound   bool
		matches string // the other identity named, "" for none
		enc     string
		stdout  []string // in the human output
		stderr  string
	}{
		"bound": {token: boundtokentest.BoundTo("joe", joe), code: 0, bound: true,
			stdout: []string{"BOUND  the token's cnf.x5t#S256 is the thumbprint of joe's certificate", "NOT verified", "sub           joe"}},
		"bound to bob": {token: boundtokentest.BoundTo("joe", bob), code: 1, matches: "bob",
			stdout: []string{"NOT BOUND  the token is bound to certificate " + boundtoken.Thumbprint(bob), "thumbprint of identity bob", "send with --identity bob"}},
		"unknown certificate": {token: boundtokentest.WithX5t("joe", strings.Repeat("A", 43)), code: 1,
			stdout: []string{"bound to certificate " + strings.Repeat("A", 43) + ", not to joe's certificate (" + boundtoken.Thumbprint(joe) + ")"}},
		"hex of joe": {token: boundtokentest.WithX5t("joe", hex.EncodeToString(joeSum[:])), code: 1, enc: "hex",
			stdout: []string{"classic hex-vs-base64url mistake", boundtoken.Thumbprint(joe)}},
		"hex of bob": {token: boundtokentest.WithX5t("joe", fingerprint(bob)), code: 1, matches: "bob", enc: "hex",
			stdout: []string{"identity bob in this workspace, written as hex instead of base64url"}},
		"padded": {token: boundtokentest.WithX5t("joe", base64.URLEncoding.EncodeToString(joeSum[:])), code: 1, enc: "base64url with padding",
			stdout: []string{"certificate, but as base64url with padding"}},
		"expired": {token: boundtokentest.Token(expired), code: 0, bound: true,
			stdout: []string{"warning: the token expired at 2023-11-14T22:13:20Z"}},
		"no cnf": {token: boundtokentest.Token(boundtokentest.Claims("joe")), code: 2,
			stdout: []string{"NOT CERTIFICATE-BOUND", "cnf.x5t#S256  (none)"}, stderr: "token has no cnf.x5t#S256 (not certificate-bound)"},
		"dpop":   {token: boundtokentest.Token(dpop), code: 2, stderr: "bound to a DPoP key"},
		"opaque": {token: "2YotnFZFEjr1zCsicMWpAA", code: 2, stderr: "token is not a JWT"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := e.run("token", "check", tc.token, "--identity", "joe")
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\n%s", r.code, tc.code, r)
			}
			for _, want := range tc.stdout {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("stdout lacks %q\n%s", want, r)
				}
			}
			if !strings.Contains(r.stderr, tc.stderr) {
				t.Errorf("stderr lacks %q\n%s", tc.stderr, r)
			}
			if tc.code == 2 && strings.Contains(tc.stderr, "not a JWT") {
				return
			}
			var res tokenCheckResult
			rj := e.run("token", "check", "--json", tc.token, "--identity", "joe")
			if err := json.Unmarshal([]byte(rj.stdout), &res); err != nil || rj.code != tc.code {
				t.Fatalf("--json: exit %d, %v\n%s", rj.code, err, rj)
			}
			matches := ""
			if res.Matches != nil {
				matches = *res.Matches
			}
			switch {
			case res.Bound != tc.bound || matches != tc.matches || res.TokenEncoding != tc.enc:
				t.Errorf("bound %v matches %q encoding %q; want %v %q %q", res.Bound, matches, res.TokenEncoding, tc.bound, tc.matches, tc.enc)
			case res.SignatureVerified || !strings.Contains(res.Note, "not verified"):
				t.Errorf("the JSON must say the signature was not verified: %+v", res)
			case res.Identity != "joe" || res.IdentityX5tS256 != boundtoken.Thumbprint(joe):
				t.Errorf("identity %q %q", res.Identity, res.IdentityX5tS256)
			case res.Claims["sub"] != "joe" || res.Claims["iss"] != "https://as.example" || res.Claims["cnf"] != nil:
				t.Errorf("claims %v", res.Claims)
			}
		})
	}
}

func TestTokenCheckInputs(t *testing.T) {
	e, joe, _ := rfc8705Env(t)
	tok := boundtokentest.BoundTo("joe", joe)
	file := e.file("token.txt", []byte("Bearer "+tok+"\n"))
	certFile := e.file("joe.pem", certPEM(joe))
	cases := map[string]struct {
		args  []string
		stdin string
		code  int
		want  string
	}{
		"@file":               {args: []string{"@" + file, "--identity", "joe"}, code: 0, want: "BOUND"},
		"stdin":               {args: []string{"-", "--identity", "joe"}, stdin: tok, code: 0, want: "BOUND"},
		"--cert":              {args: []string{"@" + file, "--cert", certFile}, code: 0, want: "Certificate " + certFile},
		"--cert names others": {args: []string{boundtokentest.BoundTo("x", e.cert("bob")), "--cert", certFile}, code: 1, want: "identity bob"},
		"missing file":        {args: []string{"@" + e.dir + "/nope", "--identity", "joe"}, code: 2},
		"no identity":         {args: []string{tok}, code: 2},
		"both":                {args: []string{tok, "--identity", "joe", "--cert", certFile}, code: 2},
		"unknown identity":    {args: []string{tok, "--identity", "ann"}, code: 2},
		"no token":            {args: []string{"--identity", "joe"}, code: 2},
		"unknown subcommand":  {args: nil, code: 2},
		"too large":           {args: []string{"-", "--identity", "joe"}, stdin: strings.Repeat("a", boundtoken.MaxTokenSize+10), code: 2},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			args := append([]string{"--workspace", e.ws, "token", "check"}, tc.args...)
			if name == "unknown subcommand" {
				args = []string{"--workspace", e.ws, "token", "verify"}
			}
			var out, errOut strings.Builder
			code := runEnv(t.Context(), args, strings.NewReader(tc.stdin), &out, &errOut, func(k string) string { return e.vars[k] })
			if code != tc.code || !strings.Contains(out.String(), tc.want) {
				t.Errorf("exit %d (want %d), stdout lacks %q?\nstdout:\n%s\nstderr:\n%s", code, tc.code, tc.want, out.String(), errOut.String())
			}
		})
	}
}

// TestTokenCheckSanitizes: claims come from whoever made the token.
func TestTokenCheckSanitizes(t *testing.T) {
	e, _, _ := rfc8705Env(t)
	c := boundtokentest.Claims("joe\x1b]52;c;aGk=\x07")
	c["evil\x1b[2J"] = []any{"\x9b6n"}
	c["cnf"] = map[string]any{"x5t#S256": "\x1b[31mred"}
	tok := boundtokentest.Token(c)
	for _, asJSON := range []bool{false, true} {
		args := []string{"token", "check", tok, "--identity", "joe"}
		if asJSON {
			args = append(args, "--json")
		}
		r := e.run(args...)
		if r.code != 1 {
			t.Fatalf("exit %d\n%s", r.code, r)
		}
		for _, bad := range []string{"\x1b", "\x07", "\u009b", `\u001b`, `\u0007`} {
			if strings.Contains(r.stdout+r.stderr, bad) {
				t.Errorf("json=%v: output carries %q\n%s", asJSON, bad, r)
			}
		}
	}
}

// TestRFC8705Registration covers what a client registers at an
// authorization server: the JWKS of a self-signed identity, and `show`'s
// auth method and the SANs tls_client_auth matches on.
func TestRFC8705Registration(t *testing.T) {
	e, joe, _ := rfc8705Env(t)
	var jwks struct {
		Keys []map[string]any `json:"keys"`
	}
	r := e.ok("export", "joe", "--format", "jwks")
	if err := json.Unmarshal([]byte(r.stdout), &jwks); err != nil || len(jwks.Keys) != 1 {
		t.Fatalf("jwks: %v\n%s", err, r)
	}
	k := jwks.Keys[0]
	x5c, _ := k["x5c"].([]any)
	if len(x5c) != 1 || x5c[0] != base64.StdEncoding.EncodeToString(joe.Raw) {
		t.Errorf("x5c = %v, want the certificate's DER in standard base64", k["x5c"])
	}
	if k["x5t#S256"] != boundtoken.Thumbprint(joe) || k["kty"] != "EC" || k["crv"] != "P-256" {
		t.Errorf("jwk = %v, want x5t#S256 %s", k, boundtoken.Thumbprint(joe))
	}
	if _, ok := k["d"]; ok {
		t.Error("the JWK carries the private key")
	}

	var shown showResult
	if err := json.Unmarshal([]byte(e.ok("show", "joe", "--json").stdout), &shown); err != nil {
		t.Fatal(err)
	}
	if shown.AuthMethod != "self_signed_tls_client_auth" || shown.Cert.X5tS256 != boundtoken.Thumbprint(joe) || !shown.Cert.ClientAuth {
		t.Errorf("self-signed show: auth_method %q x5t %q clientAuth %v", shown.AuthMethod, shown.Cert.X5tS256, shown.Cert.ClientAuth)
	}
	if text := e.ok("show", "joe").stdout; !strings.Contains(text, "self_signed_tls_client_auth") || !strings.Contains(text, boundtoken.Thumbprint(joe)) {
		t.Errorf("show text lacks the auth method or thumbprint:\n%s", text)
	}

	// A PKI-issued identity is tls_client_auth, matched by its subject DN or
	// one SAN of each kind (RFC 8705 §2.1.2).
	e.ok("pki", "ca", "dev-root", "--cn", "Dev Root")
	e.ok("pki", "issue", "svc", "--ca", "dev-root", "--cn", "svc", "--dns", "svc.example", "--uri", "spiffe://example.org/svc",
		"--ip", "10.0.0.7", "--email", "ops@example.org")
	if err := json.Unmarshal([]byte(e.ok("show", "svc", "--json").stdout), &shown); err != nil {
		t.Fatal(err)
	}
	spiffe, _ := url.Parse("spiffe://example.org/svc")
	c := shown.Cert
	switch {
	case shown.AuthMethod != "tls_client_auth":
		t.Errorf("auth_method %q", shown.AuthMethod)
	case c.Subject != "CN=svc":
		t.Errorf("subject %q (tls_client_auth_subject_dn)", c.Subject)
	case len(c.DNSNames) != 1 || c.DNSNames[0] != "svc.example":
		t.Errorf("dns %v (tls_client_auth_san_dns)", c.DNSNames)
	case len(c.URIs) != 1 || c.URIs[0] != spiffe.String():
		t.Errorf("uris %v (tls_client_auth_san_uri)", c.URIs)
	case len(c.IPAddresses) != 1 || !net.ParseIP(c.IPAddresses[0]).Equal(net.ParseIP("10.0.0.7")):
		t.Errorf("ips %v (tls_client_auth_san_ip)", c.IPAddresses)
	case len(c.Emails) != 1 || c.Emails[0] != "ops@example.org":
		t.Errorf("emails %v (tls_client_auth_san_email)", c.Emails)
	}
}

func TestServeBoundTokensNeedsClientCerts(t *testing.T) {
	e := newEnv(t)
	root := mustPair(t)(pki.NewRoot(pki.Spec{CN: "srv", Server: true, DNSNames: []string{"localhost"}}))
	r := e.run("serve", "--cert", e.file("s.pem", certPEM(root.Cert)), "--key", e.file("s.key", keyPEM(t, root)),
		"--client-auth", "none", "--bound-tokens")
	if r.code != 2 || !strings.Contains(r.stderr, "--bound-tokens needs client certificates") {
		t.Errorf("want a usage error:\n%s", r)
	}
}
