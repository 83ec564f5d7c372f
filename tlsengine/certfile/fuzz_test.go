package certfile

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"runtime/debug"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/mtlswb/mtlswb/tlsengine/pki"
	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

const fuzzPass = "fuzz-pass"

// fuzzInputBudget is far above what any input should take (milliseconds),
// so only a real hang trips it, even on a loaded machine.
const fuzzInputBudget = 10 * time.Second

// fuzzSeeds builds one of every format in-process: fuzz workers start often,
// and spawning openssl in each would spend the fuzzing time on setup.
func fuzzSeeds(f *testing.F) [][]byte {
	f.Helper()
	root, err := pki.NewRoot(pki.Spec{CN: "Fuzz Root", IsCA: true})
	if err != nil {
		f.Fatal(err)
	}
	var seeds [][]byte
	for _, kt := range []pki.KeyType{pki.ECP256, pki.RSA2048, pki.Ed25519} {
		leaf, err := root.Issue(pki.Spec{CN: "fuzz " + string(kt), Client: true, Key: kt})
		if err != nil {
			f.Fatal(err)
		}
		chain := []*x509.Certificate{leaf.Cert, root.Cert}
		clear, err := EncodePEM(chain, leaf.Key, nil)
		if err != nil {
			f.Fatal(err)
		}
		enc, err := EncodePEM(chain, leaf.Key, []byte(fuzzPass))
		if err != nil {
			f.Fatal(err)
		}
		// Few iterations, so each execution is cheap; the format is the same.
		modern, err := pkcs12.Modern2023.WithIterations(8).Encode(leaf.Key, chain[0], chain[1:], fuzzPass)
		if err != nil {
			f.Fatal(err)
		}
		legacy, err := pkcs12.LegacyDES.WithIterations(8).Encode(leaf.Key, chain[0], chain[1:], fuzzPass)
		if err != nil {
			f.Fatal(err)
		}
		pkcs8DER, err := x509.MarshalPKCS8PrivateKey(leaf.Key)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, clear, enc, modern, legacy, leaf.Cert.Raw, pkcs8DER, enc[:len(enc)/2], modern[:len(modern)-7])
		if kt == pki.RSA2048 {
			// Legacy encrypted PEM is an input format we must read, so a seed
			// has to be one, deprecated writer or not.
			block, err := x509.EncryptPEMBlock(rand.Reader, "RSA PRIVATE KEY", //nolint:staticcheck
				x509.MarshalPKCS1PrivateKey(leaf.Key.(*rsa.PrivateKey)), []byte(fuzzPass), x509.PEMCipherAES256)
			if err != nil {
				f.Fatal(err)
			}
			seeds = append(seeds, pem.EncodeToMemory(block))
		}
	}
	ts, err := pkcs12.Modern2023.WithIterations(8).EncodeTrustStore([]*x509.Certificate{root.Cert}, fuzzPass)
	if err != nil {
		f.Fatal(err)
	}
	seeds = append(seeds, ts, pkcs7Bundle(root.Cert.Raw), pem.EncodeToMemory(&pem.Block{Type: "PKCS7", Bytes: pkcs7Bundle(root.Cert.Raw)}),
		[]byte("text\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
		[]byte("-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n"),
		[]byte{0x30, 0x80, 0x02, 0x01, 0x03}, []byte{0x30, 0x84, 0xff, 0xff, 0xff, 0xff})
	return seeds
}

// pkcs7Bundle wraps DER certificates in a degenerate SignedData, the shape
// `openssl crl2pkcs7 -nocrl` writes.
func pkcs7Bundle(certs ...[]byte) []byte {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(oidSignedData)
		b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1Int64(1)
				b.AddASN1(cbasn1.SET, func(*cryptobyte.Builder) {})
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oidData) })
				b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
					for _, c := range certs {
						b.AddBytes(c)
					}
				})
				b.AddASN1(cbasn1.SET, func(*cryptobyte.Builder) {})
			})
		})
	})
	return b.BytesOrPanic()
}

// FuzzParse feeds arbitrary bytes to Parse (with a passphrase available, so
// the decryption paths run) and Group. It must not panic or hang, and what it
// returns must be safe to print.
func FuzzParse(f *testing.F) {
	oldIter, oldMem, oldPEM := maxKDFIterations, maxScryptMemory, pemKDFIterations
	// Low ceilings keep each input fast: a mutated count up to the real
	// ceiling would be seconds per input, not a bug.
	maxKDFIterations, maxScryptMemory, pemKDFIterations = 64, 1<<20, 8
	f.Cleanup(func() { maxKDFIterations, maxScryptMemory, pemKDFIterations = oldIter, oldMem, oldPEM })
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	pass := func(string) ([]byte, error) { return []byte(fuzzPass), nil }
	f.Fuzz(func(t *testing.T, data []byte) {
		// A hang is a failure too, but the fuzzer only sees crashes: turn an
		// input that runs far too long into one, with every stack printed so
		// the loop shows, and the input saved to testdata/fuzz as usual.
		watchdog := time.AfterFunc(fuzzInputBudget, func() {
			debug.SetTraceback("all")
			panic(fmt.Sprintf("Parse of a %d-byte input ran over %s", len(data), fuzzInputBudget))
		})
		defer watchdog.Stop()
		b, err := Parse(data, "fuzz.in", pass)
		if err != nil {
			if b != nil {
				t.Fatal("Parse returned a bundle and an error")
			}
			if !safetext.IsClean(err.Error()) {
				t.Fatalf("error is not terminal-safe: %q", err)
			}
			return
		}
		if len(b.Certs) == 0 && len(b.Keys) == 0 {
			t.Fatal("Parse succeeded with nothing found")
		}
		for _, s := range b.Skipped {
			if !safetext.IsClean(s) {
				t.Fatalf("skipped block name is not terminal-safe: %q", s)
			}
		}
		ids, _, err := Group([]*Bundle{b})
		if err != nil {
			return
		}
		for _, id := range ids {
			if len(id.Chain) == 0 || !KeyMatches(id.Chain[0], id.Key) {
				t.Fatal("identity without a matching leaf")
			}
		}
	})
}
