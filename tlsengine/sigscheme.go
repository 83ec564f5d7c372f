package tlsengine

import (
	"crypto/tls"
	"fmt"
)

// schemeNames are the IANA names of the TLS SignatureScheme registry (RFC
// 8446 4.2.3 and later additions), the names OpenSSL's and the RFCs' readers
// know. crypto/tls's String gives Go identifiers for some
// (PSSWithSHA256) and "SignatureScheme(2057)" for the rest.
var schemeNames = map[tls.SignatureScheme]string{
	0x0201: "rsa_pkcs1_sha1",
	0x0203: "ecdsa_sha1",
	0x0401: "rsa_pkcs1_sha256",
	0x0501: "rsa_pkcs1_sha384",
	0x0601: "rsa_pkcs1_sha512",
	0x0403: "ecdsa_secp256r1_sha256",
	0x0503: "ecdsa_secp384r1_sha384",
	0x0603: "ecdsa_secp521r1_sha512",
	0x0804: "rsa_pss_rsae_sha256",
	0x0805: "rsa_pss_rsae_sha384",
	0x0806: "rsa_pss_rsae_sha512",
	0x0807: "ed25519",
	0x0808: "ed448",
	0x0809: "rsa_pss_pss_sha256",
	0x080a: "rsa_pss_pss_sha384",
	0x080b: "rsa_pss_pss_sha512",
	0x081a: "ecdsa_brainpoolP256r1tls13_sha256",
	0x081b: "ecdsa_brainpoolP384r1tls13_sha384",
	0x081c: "ecdsa_brainpoolP512r1tls13_sha512",
	0x0904: "mldsa44",
	0x0905: "mldsa65",
	0x0906: "mldsa87",
}

// legacyHashes and legacySigs decode the TLS 1.2 (hash, signature) pairs
// that servers still list and the registry keeps only as reserved code
// points (RFC 5246 7.4.1.4.1): OpenSSL offers SHA-224 and DSA pairs.
var (
	legacyHashes = map[uint8]string{1: "md5", 2: "sha1", 3: "sha224", 4: "sha256", 5: "sha384", 6: "sha512"}
	legacySigs   = map[uint8]string{1: "rsa_pkcs1", 2: "dsa", 3: "ecdsa"}
)

// SchemeName is the IANA name of a signature scheme ("rsa_pss_rsae_sha256",
// "ecdsa_secp256r1_sha256", "ed25519"); a legacy TLS 1.2 pair is named by
// its parts ("ecdsa_sha224"), anything else by its code point ("0x0a0a").
func SchemeName(s tls.SignatureScheme) string {
	if n, ok := schemeNames[s]; ok {
		return n
	}
	h, sig := legacyHashes[uint8(s>>8)], legacySigs[uint8(s)]
	if h != "" && sig != "" {
		return sig + "_" + h
	}
	return fmt.Sprintf("0x%04x", uint16(s))
}
