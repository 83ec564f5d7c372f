package boundtoken_test

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mtlswb/mtlswb/tlsengine/boundtoken"
	"github.com/mtlswb/mtlswb/tlsengine/boundtoken/boundtokentest"
	"github.com/mtlswb/mtlswb/tlsengine/pki"
)

func newCert(t *testing.T, cn string) *x509.Certificate {
	t.Helper()
	p, err := pki.NewRoot(pki.Spec{CN: cn, Client: true})
	if err != nil {
		t.Fatal(err)
	}
	return p.Cert
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestParseRejects(t *testing.T) {
	header := b64(`{"alg":"RS256"}`)
	cases := map[string]struct {
		in   string
		want string
	}{
		"empty":             {"  \n", "empty"},
		"opaque token":      {"2YotnFZFEjr1zCsicMWpAA", "this has 1"},
		"two parts":         {header + "." + b64(`{}`), "this has 2"},
		"JWE":               {"a.b.c.d.e", "encrypted JWE"},
		"header not base64": {"%%%." + b64(`{}`) + ".sig", "header: not base64url"},
		"payload not JSON":  {header + "." + b64("hello") + ".sig", "payload: not a JSON object"},
		"payload array":     {header + "." + b64(`[1,2]`) + ".sig", "payload: not a JSON object"},
		"payload null":      {header + "." + b64(`null`) + ".sig", "payload: not a JSON object"},
		"too large":         {strings.Repeat("a", boundtoken.MaxTokenSize+1), "more than"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := boundtoken.Parse(tc.in)
			if !errors.Is(err, boundtoken.ErrNotJWT) {
				t.Fatalf("err = %v, want ErrNotJWT", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	tok := boundtokentest.WithX5t("joe", "abc")
	padded := strings.Replace(tok, ".", "==.", 1) // a padded header, as some hand-made tokens have
	cases := map[string]string{
		"plain":            tok,
		"bearer prefix":    "Bearer " + tok,
		"lowercase bearer": "bearer " + tok,
		"white space":      "\n  " + tok + "\r\n",
		"padded part":      padded,
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := boundtoken.Parse(in)
			if err != nil {
				t.Fatal(err)
			}
			if got.X5tS256 != "abc" || got.Claims["sub"] != "joe" || got.Header["alg"] != "RS256" {
				t.Errorf("token = %+v", got)
			}
			if exp, ok := got.ExpiresAt(); !ok || exp.IsZero() {
				t.Errorf("exp not read: %v %v", exp, ok)
			}
		})
	}
}

func TestBinding(t *testing.T) {
	withCnf := func(cnf any) string {
		c := boundtokentest.Claims("joe")
		c["cnf"] = cnf
		return boundtokentest.Token(c)
	}
	cases := map[string]struct {
		tok     string
		want    string // the binding, or a part of the error
		unbound bool
	}{
		"bound":          {boundtokentest.WithX5t("joe", "xyz"), "xyz", false},
		"no cnf":         {boundtokentest.Token(boundtokentest.Claims("joe")), "not certificate-bound", true},
		"cnf not object": {withCnf("x"), "not an object", true},
		"dpop":           {withCnf(map[string]any{"jkt": "k"}), "DPoP", true},
		"sha-1 x5t":      {withCnf(map[string]any{"x5t": "k"}), "SHA-1", true},
		"other member":   {withCnf(map[string]any{"kid": "k"}), "only kid", true},
		"x5t not string": {withCnf(map[string]any{"x5t#S256": 5}), "only x5t#S256", true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			tok, err := boundtoken.Parse(tc.tok)
			if err != nil {
				t.Fatal(err)
			}
			got, err := tok.Binding()
			if tc.unbound {
				if !errors.Is(err, boundtoken.ErrNotBound) || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("err = %v, want ErrNotBound mentioning %q", err, tc.want)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("binding = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	joe, bob := newCert(t, "joe"), newCert(t, "bob")
	sum := sha256.Sum256(joe.Raw)
	colons := make([]string, len(sum))
	for i, b := range sum {
		colons[i] = fmt.Sprintf("%02X", b)
	}
	// Standard base64 differs from padded base64url only where the hash
	// has + or /; a quarter of hashes have neither.
	std, stdEnc := base64.StdEncoding.EncodeToString(sum[:]), boundtoken.Base64Std
	if !strings.ContainsAny(std, "+/") {
		stdEnc = boundtoken.Base64URLPadded
	}
	cases := map[string]struct {
		tok      string
		cert     *x509.Certificate
		bound    bool
		encoding boundtoken.Encoding
		reason   string
	}{
		"bound to joe":        {boundtokentest.BoundTo("joe", joe), joe, true, "", "bound to the presented certificate"},
		"bound to bob":        {boundtokentest.BoundTo("joe", bob), joe, false, "", "but the client presented " + boundtoken.Thumbprint(joe)},
		"no client cert":      {boundtokentest.BoundTo("joe", joe), nil, false, "", "presented no certificate"},
		"hex":                 {boundtokentest.WithX5t("joe", hex.EncodeToString(sum[:])), joe, false, boundtoken.Hex, "as hex"},
		"upper hex":           {boundtokentest.WithX5t("joe", strings.ToUpper(hex.EncodeToString(sum[:]))), joe, false, boundtoken.Hex, "as hex"},
		"openssl fingerprint": {boundtokentest.WithX5t("joe", strings.Join(colons, ":")), joe, false, boundtoken.HexColons, "colon-separated hex"},
		"padded":              {boundtokentest.WithX5t("joe", base64.URLEncoding.EncodeToString(sum[:])), joe, false, boundtoken.Base64URLPadded, "with padding"},
		"standard base64":     {boundtokentest.WithX5t("joe", std), joe, false, stdEnc, string(stdEnc)},
		"hex of another cert": {boundtokentest.WithX5t("joe", fmt.Sprintf("%x", sha256.Sum256(bob.Raw))), joe, false, "", "bound to certificate"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			tok, err := boundtoken.Parse(tc.tok)
			if err != nil {
				t.Fatal(err)
			}
			v, err := boundtoken.Check(tok, tc.cert)
			if err != nil {
				t.Fatal(err)
			}
			if v.Bound != tc.bound || v.SameCertWrongEncoding != tc.encoding || !strings.Contains(v.Reason, tc.reason) {
				t.Errorf("verdict = %+v; want bound %v, encoding %q, reason containing %q", v, tc.bound, tc.encoding, tc.reason)
			}
		})
	}
}

func TestCheckUnbound(t *testing.T) {
	tok, err := boundtoken.Parse(boundtokentest.Token(boundtokentest.Claims("joe")))
	if err != nil {
		t.Fatal(err)
	}
	v, err := boundtoken.Check(tok, newCert(t, "joe"))
	if !errors.Is(err, boundtoken.ErrNotBound) || v.Bound || v.Reason != boundtoken.ErrNotBound.Error() {
		t.Errorf("verdict %+v, err %v", v, err)
	}
}

func TestDigestRejects(t *testing.T) {
	for name, in := range map[string]string{
		"empty":        "",
		"short":        "abc",
		"hex of SHA-1": strings.Repeat("ab", 20),
		"not hex":      strings.Repeat("zz", 32),
		"bad colons":   strings.Repeat("zz:", 31) + "zz",
	} {
		t.Run(name, func(t *testing.T) {
			if sum, enc, ok := boundtoken.Digest(in); ok {
				t.Errorf("Digest(%q) = %x %q, want not ok", in, sum, enc)
			}
		})
	}
}

// TestThumbprintMatchesOpenSSL checks the thumbprint against the recipe
// authorization servers document: openssl's SHA-256 of the DER, base64url.
func TestThumbprintMatchesOpenSSL(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Fatal("openssl is needed for this test")
	}
	c := newCert(t, "joe")
	path := filepath.Join(t.TempDir(), "c.der")
	if err := os.WriteFile(path, c.Raw, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("openssl", "dgst", "-sha256", "-binary", path).Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := base64.RawURLEncoding.EncodeToString(out); boundtoken.Thumbprint(c) != want {
		t.Errorf("thumbprint %s, openssl says %s", boundtoken.Thumbprint(c), want)
	}
}

func TestSafeClaims(t *testing.T) {
	c := boundtokentest.Claims("joe\x1b]52;c;aGk=\x07")
	c["aud"] = []any{"a\x1b[2J", "b"}
	c["nested\x07"] = map[string]any{"k": "\x9b6n"}
	tok, err := boundtoken.Parse(boundtokentest.Token(c))
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(tok.SafeClaims())
	for _, bad := range []string{"\x1b", "\x07", "\u009b"} {
		if strings.Contains(got, bad) {
			t.Errorf("SafeClaims kept %q: %q", bad, got)
		}
	}
	if !strings.Contains(got, "joe^[]52") {
		t.Errorf("SafeClaims lost the text: %q", got)
	}
}

func TestFromAuthorization(t *testing.T) {
	cases := map[string]struct {
		in, want string
		err      bool
	}{
		"bearer":     {"Bearer abc", "abc", false},
		"lowercase":  {"bearer  abc ", "abc", false},
		"basic":      {"Basic dXNlcjpwYXNz", "", true},
		"empty":      {"", "", true},
		"no token":   {"Bearer ", "", true},
		"only token": {"abc", "", true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := boundtoken.FromAuthorization(tc.in)
			if (err != nil) != tc.err || got != tc.want {
				t.Errorf("got %q, %v", got, err)
			}
			if err != nil && !errors.Is(err, boundtoken.ErrNoBearer) {
				t.Errorf("err = %v, want ErrNoBearer", err)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add(boundtokentest.WithX5t("joe", "abc"))
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := boundtoken.Parse(s)
		if err != nil {
			return
		}
		_, _ = tok.Binding()
		for k := range tok.SafeClaims() {
			if strings.ContainsRune(k, 0x1b) {
				t.Fatalf("unsanitized key %q", k)
			}
		}
	})
}

func TestExplain(t *testing.T) {
	joe, bob := newCert(t, "joe"), newCert(t, "bob")
	sum := sha256.Sum256(joe.Raw)
	cases := map[string]struct {
		tok  string
		cert *x509.Certificate
		want string
	}{
		"bound":   {boundtokentest.BoundTo("joe", joe), joe, "the token's cnf.x5t#S256 is the thumbprint of joe's cert"},
		"other":   {boundtokentest.BoundTo("joe", bob), joe, "the token is bound to certificate " + boundtoken.Thumbprint(bob) + ", not to joe's cert (" + boundtoken.Thumbprint(joe) + ")"},
		"hex":     {boundtokentest.WithX5t("joe", hex.EncodeToString(sum[:])), joe, "classic hex-vs-base64url mistake"},
		"padded":  {boundtokentest.WithX5t("joe", base64.URLEncoding.EncodeToString(sum[:])), joe, "but as base64url with padding"},
		"no cert": {boundtokentest.BoundTo("joe", joe), nil, "there is no certificate to compare it with"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			tok, err := boundtoken.Parse(tc.tok)
			if err != nil {
				t.Fatal(err)
			}
			v, err := boundtoken.Check(tok, tc.cert)
			if err != nil {
				t.Fatal(err)
			}
			if got := v.Explain("joe's cert"); !strings.Contains(got, tc.want) {
				t.Errorf("Explain = %q, want it to contain %q", got, tc.want)
			}
		})
	}
}

func TestNames(t *testing.T) {
	joe, bob := newCert(t, "joe"), newCert(t, "bob")
	sum := sha256.Sum256(joe.Raw)
	fp := hex.EncodeToString(sum[:])
	cases := map[string]struct {
		x5t, fingerprint string
		enc              boundtoken.Encoding
		ok               bool
	}{
		"base64url":       {boundtoken.Thumbprint(joe), fp, boundtoken.Base64URL, true},
		"hex":             {fp, fp, boundtoken.Hex, true},
		"upper hex":       {strings.ToUpper(fp), fp, boundtoken.Hex, true},
		"other cert":      {boundtoken.Thumbprint(bob), fp, "", false},
		"garbage":         {"nope", fp, "", false},
		"bad fingerprint": {boundtoken.Thumbprint(joe), "zz", "", false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			enc, ok := boundtoken.Names(tc.x5t, tc.fingerprint)
			if enc != tc.enc || ok != tc.ok {
				t.Errorf("Names = %q, %v; want %q, %v", enc, ok, tc.enc, tc.ok)
			}
		})
	}
}

// TestStandardTypesOnly keeps the package usable from the engine, serve and
// the TUI alike: no terminal UI, no workspace, no database.
func TestStandardTypesOnly(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/mtlswb/mtlswb/tlsengine/boundtoken").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, bad := range []string{"charm.land/", "github.com/charmbracelet/", "go.etcd.io/bbolt", "github.com/mtlswb/mtlswb/workspace", "github.com/mtlswb/mtlswb/tui"} {
			if strings.HasPrefix(dep, bad) {
				t.Errorf("boundtoken depends on %s", dep)
			}
		}
	}
}

// BenchmarkParseCheck is the work serve --bound-tokens adds to a request.
func BenchmarkParseCheck(b *testing.B) {
	p, err := pki.NewRoot(pki.Spec{CN: "joe", Client: true})
	if err != nil {
		b.Fatal(err)
	}
	raw := "Bearer " + boundtokentest.BoundTo("joe", p.Cert)
	b.ReportAllocs()
	for b.Loop() {
		tok, err := boundtoken.Parse(raw)
		if err != nil {
			b.Fatal(err)
		}
		if v, err := boundtoken.Check(tok, p.Cert); err != nil || !v.Bound {
			b.Fatal(v, err)
		}
	}
}
