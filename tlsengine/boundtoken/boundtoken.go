package boundtoken

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// MaxTokenSize bounds what Parse reads. Real access tokens are a few
// kilobytes; HTTP servers commonly cap a header at 8 to 16 KiB.
const MaxTokenSize = 64 << 10

// Sentinel errors, for callers that classify failures (the CLI maps both to
// exit 2, the echo server to a 401 reason).
var (
	// ErrNotJWT means the text is not a JWS compact serialization with a
	// JSON object as payload.
	ErrNotJWT = errors.New("token is not a JWT")
	// ErrNotBound means the token is a JWT without cnf["x5t#S256"].
	ErrNotBound = errors.New("token has no cnf.x5t#S256 (not certificate-bound)")
	// ErrNoBearer means an Authorization header did not carry a bearer token.
	ErrNoBearer = errors.New("no bearer token")
)

// Token is a decoded JWT. Nothing in it is verified, and every string in it
// came from whoever made the token: use SafeClaims for display.
type Token struct {
	Header map[string]any
	Claims map[string]any
	// X5tS256 is cnf["x5t#S256"] as the token carries it, "" when absent.
	X5tS256 string
	// CnfMembers names the members of cnf when it exists, so a token bound
	// some other way (DPoP's jkt, a SHA-1 x5t) can be told apart from an
	// unbound one.
	CnfMembers []string
}

// Parse decodes a JWT access token without verifying its signature.
// Surrounding white space and a "Bearer " prefix are ignored, so text copied
// from a header or a file works as is. The error wraps ErrNotJWT and says
// what is wrong with the text, never quoting more than a short prefix of it.
func Parse(s string) (*Token, error) {
	if len(s) > MaxTokenSize {
		return nil, fmt.Errorf("%w: it is %d bytes, more than the %d an access token can reasonably be", ErrNotJWT, len(s), MaxTokenSize)
	}
	s = strings.TrimSpace(s)
	if len(s) > 7 && strings.EqualFold(s[:7], "bearer ") {
		s = strings.TrimSpace(s[7:])
	}
	if s == "" {
		return nil, fmt.Errorf("%w: the token is empty", ErrNotJWT)
	}
	parts := strings.Split(s, ".")
	switch len(parts) {
	case 3:
	case 5:
		return nil, fmt.Errorf("%w: it has five parts, so it is an encrypted JWE; only its issuer can read the claims", ErrNotJWT)
	default:
		return nil, fmt.Errorf("%w: a JWT has three base64url parts separated by dots, this has %d (it may be an opaque token, which only the authorization server's introspection endpoint can read)", ErrNotJWT, len(parts))
	}
	header, err := decodePart(parts[0])
	if err != nil {
		return nil, fmt.Errorf("%w: header: %w", ErrNotJWT, err)
	}
	claims, err := decodePart(parts[1])
	if err != nil {
		return nil, fmt.Errorf("%w: payload: %w", ErrNotJWT, err)
	}
	t := &Token{Header: header, Claims: claims}
	if cnf, ok := claims["cnf"].(map[string]any); ok {
		for k := range cnf {
			t.CnfMembers = append(t.CnfMembers, k)
		}
		if v, ok := cnf["x5t#S256"].(string); ok {
			t.X5tS256 = v
		}
	}
	return t, nil
}

func decodePart(p string) (map[string]any, error) {
	// RFC 7515 forbids padding, but some hand-made tokens have it; being
	// lenient costs nothing in a check that verifies no signature anyway.
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(p, "="))
	if err != nil {
		return nil, errors.New("not base64url")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // keep exp, iat and friends exactly as written
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, errors.New("not a JSON object")
	}
	return m, nil
}

// Binding returns the token's cnf["x5t#S256"], or an error wrapping
// ErrNotBound that says what cnf holds instead.
func (t *Token) Binding() (string, error) {
	if t.X5tS256 != "" {
		return t.X5tS256, nil
	}
	switch {
	case len(t.CnfMembers) == 0:
		if _, ok := t.Claims["cnf"]; ok {
			return "", fmt.Errorf("%w: its cnf claim is not an object with x5t#S256", ErrNotBound)
		}
		return "", ErrNotBound
	case hasMember(t.CnfMembers, "jkt"):
		return "", fmt.Errorf("%w: its cnf has jkt, so it is bound to a DPoP key (RFC 9449), not to a certificate", ErrNotBound)
	case hasMember(t.CnfMembers, "x5t"):
		return "", fmt.Errorf("%w: its cnf has x5t (a SHA-1 thumbprint), which RFC 8705 does not use", ErrNotBound)
	}
	return "", fmt.Errorf("%w: its cnf has only %s", ErrNotBound, strings.Join(safetext.Lines(t.CnfMembers), ", "))
}

func hasMember(ms []string, name string) bool {
	for _, m := range ms {
		if m == name {
			return true
		}
	}
	return false
}

// ExpiresAt returns the exp claim as a time.
func (t *Token) ExpiresAt() (time.Time, bool) {
	return t.timeClaim("exp")
}

func (t *Token) timeClaim(name string) (time.Time, bool) {
	n, ok := t.Claims[name].(json.Number)
	if !ok {
		return time.Time{}, false
	}
	f, err := n.Float64()
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(int64(f), 0).UTC(), true
}

// SafeClaims returns the claims with every string, keys included,
// sanitized for a terminal. Numbers stay json.Number.
func (t *Token) SafeClaims() map[string]any {
	m, _ := sanitize(t.Claims).(map[string]any)
	return m
}

func sanitize(v any) any {
	switch v := v.(type) {
	case string:
		return safetext.Line(v)
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[safetext.Line(k)] = sanitize(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = sanitize(x)
		}
		return out
	}
	return v
}

// Encoding names how a thumbprint is written.
type Encoding string

// The encodings Digest recognises. Only Base64URL is what RFC 8705 asks for.
const (
	Base64URL       Encoding = "base64url"
	Base64URLPadded Encoding = "base64url with padding"
	Base64Std       Encoding = "standard base64"
	Hex             Encoding = "hex"
	HexColons       Encoding = "colon-separated hex"
)

// Digest decodes a thumbprint to the 32-byte SHA-256 it stands for,
// accepting the RFC 8705 form and the common mistakes, and says which
// encoding it found. ok is false when s is none of them.
func Digest(s string) (sum []byte, enc Encoding, ok bool) {
	try := func(e *base64.Encoding, s string, name Encoding) bool {
		b, err := e.DecodeString(s)
		if err == nil && len(b) == sha256.Size {
			sum, enc = b, name
			return true
		}
		return false
	}
	switch {
	case try(base64.RawURLEncoding, s, Base64URL):
	case try(base64.URLEncoding, s, Base64URLPadded):
	case try(base64.StdEncoding, s, Base64Std), try(base64.RawStdEncoding, s, Base64Std):
	case len(s) == 2*sha256.Size:
		b, err := hex.DecodeString(s)
		if err != nil {
			return nil, "", false
		}
		sum, enc = b, Hex
	case len(s) == 3*sha256.Size-1 && strings.Count(s, ":") == sha256.Size-1:
		b, err := hex.DecodeString(strings.ReplaceAll(s, ":", ""))
		if err != nil {
			return nil, "", false
		}
		sum, enc = b, HexColons
	default:
		return nil, "", false
	}
	return sum, enc, true
}

// Thumbprint is RFC 8705's x5t#S256 of c: unpadded base64url of the SHA-256
// of its DER.
func Thumbprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// Verdict is the result of comparing a token's binding with a certificate.
type Verdict struct {
	Bound bool `json:"bound"`
	// TokenX5tS256 is the token's cnf["x5t#S256"], sanitized.
	TokenX5tS256 string `json:"token_x5t_s256"`
	// CertX5tS256 is the certificate's thumbprint, "" without a certificate.
	CertX5tS256 string `json:"cert_x5t_s256"`
	// SameCertWrongEncoding is set when the token names this very
	// certificate but writes the hash in another encoding (hex, padding,
	// standard base64): a resource server that follows RFC 8705 rejects it.
	SameCertWrongEncoding Encoding `json:"same_cert_wrong_encoding,omitempty"`
	// Reason says in one line why the token is or is not bound.
	Reason string `json:"reason"`
}

// Check compares t's binding with cert (nil: the client presented none).
// The error is non-nil only when the token carries no certificate binding
// at all (it wraps ErrNotBound); a binding to another certificate is a
// Verdict with Bound false.
func Check(t *Token, cert *x509.Certificate) (Verdict, error) {
	x5t, err := t.Binding()
	if err != nil {
		return Verdict{Reason: err.Error()}, err
	}
	v := Verdict{TokenX5tS256: safetext.Line(x5t)}
	if cert == nil {
		v.Reason = fmt.Sprintf("token is bound to certificate %s, but the client presented no certificate", v.TokenX5tS256)
		return v, nil
	}
	v.CertX5tS256 = Thumbprint(cert)
	if x5t == v.CertX5tS256 {
		v.Bound = true
		v.Reason = fmt.Sprintf("token is bound to the presented certificate %s", v.CertX5tS256)
		return v, nil
	}
	want := sha256.Sum256(cert.Raw)
	if sum, enc, ok := Digest(x5t); ok && enc != Base64URL && bytes.Equal(sum, want[:]) {
		v.SameCertWrongEncoding = enc
		v.Reason = fmt.Sprintf("token names the presented certificate, but as %s (%s); RFC 8705 requires unpadded base64url: %s",
			enc, v.TokenX5tS256, v.CertX5tS256)
		return v, nil
	}
	v.Reason = fmt.Sprintf("token is bound to certificate %s, but the client presented %s", v.TokenX5tS256, v.CertX5tS256)
	return v, nil
}

// Explain says in one sentence how the token relates to the certificate,
// which the caller names in whose ("joe's certificate"). The CLI and the TUI
// print it, so both say the same thing. It is meant for a verdict without
// error; an unbound token's Reason says why by itself.
func (v Verdict) Explain(whose string) string {
	switch {
	case v.TokenX5tS256 == "":
		return v.Reason
	case v.Bound:
		return fmt.Sprintf("the token's cnf.x5t#S256 is the thumbprint of %s", whose)
	case v.CertX5tS256 == "":
		return fmt.Sprintf("the token is bound to certificate %s, and there is no certificate to compare it with", v.TokenX5tS256)
	case v.SameCertWrongEncoding == Hex || v.SameCertWrongEncoding == HexColons:
		return fmt.Sprintf("the token names %s, but writes its SHA-256 as %s — the classic hex-vs-base64url mistake; "+
			"RFC 8705 wants unpadded base64url (%s), and resource servers compare the strings, so they refuse this token",
			whose, v.SameCertWrongEncoding, v.CertX5tS256)
	case v.SameCertWrongEncoding != "":
		return fmt.Sprintf("the token names %s, but as %s; RFC 8705 wants unpadded base64url (%s), "+
			"and resource servers compare the strings, so they refuse this token", whose, v.SameCertWrongEncoding, v.CertX5tS256)
	}
	return fmt.Sprintf("the token is bound to certificate %s, not to %s (%s)", v.TokenX5tS256, whose, v.CertX5tS256)
}

// Names reports whether the thumbprint x5t, in any encoding Digest knows,
// is the certificate whose hex SHA-256 fingerprint is fingerprint (the form
// a keystore lists), and in which encoding. Callers loop over their
// certificates with it to say "that is the thumbprint of identity bob".
func Names(x5t, fingerprint string) (Encoding, bool) {
	sum, enc, ok := Digest(x5t)
	if !ok {
		return "", false
	}
	fp, err := hex.DecodeString(fingerprint)
	if err != nil || !bytes.Equal(fp, sum) {
		return "", false
	}
	return enc, true
}

// FromAuthorization takes the token out of an HTTP Authorization header
// value. The scheme is case-insensitive (RFC 7235 §2.1).
func FromAuthorization(h string) (string, error) {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return "", ErrNoBearer
	}
	return strings.TrimSpace(tok), nil
}
