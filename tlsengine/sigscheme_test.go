package tlsengine

import (
	"crypto/tls"
	"testing"
)

func TestSchemeName(t *testing.T) {
	cases := map[string]struct {
		in   tls.SignatureScheme
		want string
	}{
		"pss rsae":        {tls.PSSWithSHA256, "rsa_pss_rsae_sha256"},
		"ecdsa p256":      {tls.ECDSAWithP256AndSHA256, "ecdsa_secp256r1_sha256"},
		"ed25519":         {tls.Ed25519, "ed25519"},
		"pss pss (2057)":  {2057, "rsa_pss_pss_sha256"},
		"pkcs1 sha1":      {tls.PKCS1WithSHA1, "rsa_pkcs1_sha1"},
		"legacy sha224":   {0x0303, "ecdsa_sha224"},
		"legacy dsa":      {0x0402, "dsa_sha256"},
		"grease":          {0x0a0a, "0x0a0a"},
		"unknown private": {0xfe00, "0xfe00"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := SchemeName(tc.in); got != tc.want {
				t.Errorf("SchemeName(%#04x) = %q, want %q", uint16(tc.in), got, tc.want)
			}
		})
	}
}
