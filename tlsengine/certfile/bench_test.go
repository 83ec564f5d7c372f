package certfile

import (
	"crypto/x509"

	"testing"

	"github.com/mtlswb/mtlswb/tlsengine/pki"
)

// The import path's costs: clear PEM is parsing only; PKCS#12 and encrypted
// PKCS#8 are dominated by their key derivation (OpenSSL's 2048 iterations on
// import, our 600000 on export).
func BenchmarkParse(b *testing.B) {
	root, err := pki.NewRoot(pki.Spec{CN: "Bench Root", IsCA: true})
	if err != nil {
		b.Fatal(err)
	}
	leaf, err := root.Issue(pki.Spec{CN: "bench", Client: true})
	if err != nil {
		b.Fatal(err)
	}
	chain := leaf.Cert
	clear, err := EncodePEM([]*x509.Certificate{chain, root.Cert}, leaf.Key, nil)
	if err != nil {
		b.Fatal(err)
	}
	enc, err := EncodePEM([]*x509.Certificate{chain, root.Cert}, leaf.Key, []byte("bench"))
	if err != nil {
		b.Fatal(err)
	}
	p12, err := EncodeP12([]*x509.Certificate{chain, root.Cert}, leaf.Key, []byte("bench"), false)
	if err != nil {
		b.Fatal(err)
	}
	for name, data := range map[string][]byte{"clear PEM": clear, "encrypted PKCS#8 600k": enc, "PKCS#12 modern": p12} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Parse(data, name, fixedPass("bench")); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
