package boundtokentest

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine/boundtoken"
)

// Signature is the placeholder third part of every token made here.
const Signature = "bm90LWEtc2lnbmF0dXJl" // base64url("not-a-signature")

// Token encodes claims as a JWT with an RS256 header and a fake signature.
// It panics on claims that do not marshal: test input is the caller's.
func Token(claims map[string]any) string {
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			panic("boundtokentest: " + err.Error())
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return enc(map[string]any{"alg": "RS256", "typ": "at+jwt", "kid": "test"}) + "." + enc(claims) + "." + Signature
}

// Claims are typical access-token claims for subject sub, valid for an
// hour from now, without cnf.
func Claims(sub string) map[string]any {
	now := time.Now().Unix()
	return map[string]any{
		"iss": "https://as.example", "sub": sub, "aud": "https://api.example",
		"client_id": sub, "scope": "read", "iat": now, "exp": now + 3600,
	}
}

// WithX5t returns a token like Claims(sub) bound to the thumbprint x5t,
// written as given (so tests can write it wrongly on purpose).
func WithX5t(sub, x5t string) string {
	c := Claims(sub)
	c["cnf"] = map[string]any{"x5t#S256": x5t}
	return Token(c)
}

// BoundTo returns a token for sub bound to cert, as RFC 8705 §3.1 says.
func BoundTo(sub string, cert *x509.Certificate) string {
	return WithX5t(sub, boundtoken.Thumbprint(cert))
}
