package certfile

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mtlswb/mtlswb/tlsengine/certinfo"
	"github.com/mtlswb/mtlswb/tlsengine/pki"
)

var exportKeyTypes = []pki.KeyType{pki.RSA2048, pki.ECP256, pki.ECP384, pki.ECP521, pki.Ed25519}

func exportChain(t *testing.T, kt pki.KeyType) ([]*x509.Certificate, pki.Pair) {
	t.Helper()
	root, err := pki.NewRoot(pki.Spec{CN: "Export Root", IsCA: true, MaxPathLen: 1})
	if err != nil {
		t.Fatal(err)
	}
	inter, err := root.Issue(pki.Spec{CN: "Export Intermediate", IsCA: true})
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := inter.Issue(pki.Spec{CN: "export " + string(kt), Client: true, Key: kt})
	if err != nil {
		t.Fatal(err)
	}
	return []*x509.Certificate{leaf.Cert, inter.Cert, root.Cert}, leaf
}

// opensslOut runs openssl with stdin closed and returns its stdout.
func opensslOut(t *testing.T, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("openssl", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("openssl %v: %v\n%s", args, err, stderr.String())
	}
	return out
}

// pemBlocks splits openssl output with encoding/pem alone, independent of
// the code under test.
func pemBlocks(data []byte) (certs []string, keys [][]byte) {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return certs, keys
		}
		switch b.Type {
		case "CERTIFICATE":
			c, err := x509.ParseCertificate(b.Bytes)
			if err == nil {
				certs = append(certs, fp(c))
			}
		case "PRIVATE KEY":
			keys = append(keys, b.Bytes)
		}
	}
}

func spkiPEM(t *testing.T, c *x509.Certificate) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(c.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func TestEncodePEMRoundTrip(t *testing.T) {
	const pass = "export pass"
	for _, kt := range exportKeyTypes {
		t.Run(string(kt), func(t *testing.T) {
			chain, leaf := exportChain(t, kt)
			for _, encrypted := range []bool{false, true} {
				var pw []byte
				if encrypted {
					pw = []byte(pass)
				}
				out, err := EncodePEM(chain, leaf.Key, pw)
				if err != nil {
					t.Fatal(err)
				}
				if got := bytes.Contains(out, []byte("ENCRYPTED PRIVATE KEY")); got != encrypted {
					t.Errorf("encrypted=%v but ENCRYPTED block present=%v", encrypted, got)
				}
				b, err := Parse(out, "export.pem", fixedPass(pass))
				if err != nil {
					t.Fatalf("Parse our own export: %v", err)
				}
				if !slices.Equal(fps(b.Certs), fps(chain)) {
					t.Errorf("certs = %v, want %v", fps(b.Certs), fps(chain))
				}
				if len(b.Keys) != 1 || !KeyMatches(chain[0], b.Keys[0]) {
					t.Fatalf("keys = %d, or the key does not match the leaf", len(b.Keys))
				}
				if encrypted {
					// openssl must open it with the passphrase, and its public
					// half must be the certificate's.
					path := filepath.Join(t.TempDir(), "k.pem")
					if err := os.WriteFile(path, out, 0o600); err != nil {
						t.Fatal(err)
					}
					pub := opensslOut(t, "pkey", "-in", path, "-passin", "pass:"+pass, "-pubout")
					if !bytes.Equal(pub, spkiPEM(t, chain[0])) {
						t.Errorf("openssl pkey public key differs from the certificate's:\n%s", pub)
					}
					if _, err := Parse(out, "export.pem", fixedPass("wrong")); !errors.Is(err, ErrWrongPassphrase) {
						t.Errorf("wrong passphrase: err = %v", err)
					}
				}
			}
		})
	}
}

func TestEncodeP12RoundTrip(t *testing.T) {
	const pass = "p12 pass"
	for _, kt := range exportKeyTypes {
		for _, legacy := range []bool{false, true} {
			name := string(kt) + "/modern"
			if legacy {
				name = string(kt) + "/legacy"
			}
			t.Run(name, func(t *testing.T) {
				chain, leaf := exportChain(t, kt)
				der, err := EncodeP12(chain, leaf.Key, []byte(pass), legacy)
				if err != nil {
					t.Fatal(err)
				}
				b, err := Parse(der, "export.p12", fixedPass(pass))
				if err != nil {
					t.Fatalf("Parse our own export: %v", err)
				}
				if !slices.Equal(fps(b.Certs), fps(chain)) {
					t.Errorf("certs = %v, want %v", fps(b.Certs), fps(chain))
				}
				if len(b.Keys) != 1 || !KeyMatches(chain[0], b.Keys[0]) {
					t.Fatalf("keys = %d, or the key does not match the leaf", len(b.Keys))
				}
				if _, err := Parse(der, "export.p12", fixedPass("wrong")); !errors.Is(err, ErrWrongPassphrase) {
					t.Errorf("wrong passphrase: err = %v", err)
				}

				path := filepath.Join(t.TempDir(), "id.p12")
				if err := os.WriteFile(path, der, 0o600); err != nil {
					t.Fatal(err)
				}
				args := []string{"pkcs12", "-in", path, "-passin", "pass:" + pass, "-nodes"}
				if legacy {
					args = append(args, "-legacy")
				}
				certs, keys := pemBlocks(opensslOut(t, args...))
				slices.Sort(certs)
				want := fps(chain)
				slices.Sort(want)
				if !slices.Equal(certs, want) {
					t.Errorf("openssl read certs %v, want %v", certs, want)
				}
				if len(keys) != 1 {
					t.Fatalf("openssl read %d keys, want 1", len(keys))
				}
				k, err := x509.ParsePKCS8PrivateKey(keys[0])
				if err != nil {
					t.Fatal(err)
				}
				if !samePublic(leaf.Key.Public(), k.(crypto.Signer).Public()) {
					t.Error("openssl's key differs from the exported one")
				}
			})
		}
	}
}

func TestEncodeTrustStoreP12(t *testing.T) {
	chain, _ := exportChain(t, pki.ECP256)
	der, err := EncodeTrustStoreP12(chain[1:], []byte("ts"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse(der, "ts.p12", fixedPass("ts"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(fps(b.Certs), fps(chain[1:])) || len(b.Keys) != 0 {
		t.Errorf("certs = %v keys = %d, want %v and none", fps(b.Certs), len(b.Keys), fps(chain[1:]))
	}
}

func TestEncodeErrors(t *testing.T) {
	chain, leaf := exportChain(t, pki.ECP256)
	_, other := exportChain(t, pki.ECP256)
	cases := map[string]func() error{
		"PEM key not the leaf's": func() error { _, err := EncodePEM(chain, other.Key, nil); return err },
		"PEM empty passphrase":   func() error { _, err := EncodePEM(chain, leaf.Key, []byte{}); return err },
		"p12 key not the leaf's": func() error { _, err := EncodeP12(chain, other.Key, []byte("x"), false); return err },
		"p12 no passphrase":      func() error { _, err := EncodeP12(chain, leaf.Key, nil, false); return err },
		"p12 no key":             func() error { _, err := EncodeP12(chain, nil, []byte("x"), false); return err },
		"p12 no chain":           func() error { _, err := EncodeP12(nil, leaf.Key, []byte("x"), false); return err },
		"p12 non-BMP passphrase": func() error { _, err := EncodeP12(chain, leaf.Key, []byte("pass🔑"), false); return err },
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			err := f()
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), "pass🔑") {
				t.Errorf("err = %q contains the passphrase", err)
			}
		})
	}
	// Certificates alone are a valid PEM export.
	out, err := EncodePEM(chain, nil, nil)
	if err != nil || bytes.Contains(out, []byte("PRIVATE KEY")) || bytes.Count(out, []byte("BEGIN CERTIFICATE")) != 3 {
		t.Errorf("certs-only EncodePEM = %q, %v", out, err)
	}
}

// TestThumbprintMatchesOpenSSL checks x5t#S256 against openssl's own SHA-256
// fingerprint of the same certificate.
func TestThumbprintMatchesOpenSSL(t *testing.T) {
	dir := fixtureDir(t)
	for _, k := range keyKinds {
		path := filepath.Join(dir, k.name+".pem")
		out := string(opensslOut(t, "x509", "-in", path, "-noout", "-fingerprint", "-sha256"))
		hexFP := strings.ReplaceAll(strings.TrimSpace(out[strings.Index(out, "=")+1:]), ":", "")
		raw, err := hex.DecodeString(hexFP)
		if err != nil {
			t.Fatalf("openssl fingerprint %q: %v", out, err)
		}
		if got, want := certinfo.Thumbprint(loadCert(t, path)), base64.RawURLEncoding.EncodeToString(raw); got != want {
			t.Errorf("%s: Thumbprint = %s, want %s", k.name, got, want)
		}
	}
}

func TestJWK(t *testing.T) {
	b64 := base64.RawURLEncoding
	for _, kt := range exportKeyTypes {
		t.Run(string(kt), func(t *testing.T) {
			chain, _ := exportChain(t, kt)
			cert := chain[0]
			jwk, err := JWK(cert)
			if err != nil {
				t.Fatal(err)
			}
			if jwk["kid"] != certinfo.Thumbprint(cert) || jwk["x5t#S256"] != certinfo.Thumbprint(cert) {
				t.Errorf("kid/x5t#S256 = %v/%v, want %s", jwk["kid"], jwk["x5t#S256"], certinfo.Thumbprint(cert))
			}
			x5c, _ := jwk["x5c"].([]string)
			if len(x5c) != 1 {
				t.Fatalf("x5c = %v", jwk["x5c"])
			}
			if der, err := base64.StdEncoding.DecodeString(x5c[0]); err != nil || !bytes.Equal(der, cert.Raw) {
				t.Errorf("x5c[0] is not the certificate in standard base64")
			}
			field := func(name string) []byte {
				s, _ := jwk[name].(string)
				v, err := b64.DecodeString(s)
				if err != nil {
					t.Fatalf("%s = %q is not unpadded base64url: %v", name, s, err)
				}
				return v
			}
			switch pub := cert.PublicKey.(type) {
			case *rsa.PublicKey:
				if jwk["kty"] != "RSA" || new(big.Int).SetBytes(field("n")).Cmp(pub.N) != 0 ||
					new(big.Int).SetBytes(field("e")).Int64() != int64(pub.E) {
					t.Errorf("RSA JWK %v does not describe the key", jwk)
				}
			case *ecdsa.PublicKey:
				size := (pub.Curve.Params().BitSize + 7) / 8
				x, y := field("x"), field("y")
				if len(x) != size || len(y) != size {
					t.Errorf("coordinates are %d/%d bytes, want %d (padded)", len(x), len(y), size)
				}
				point := append(append([]byte{4}, x...), y...)
				got, err := ecdsa.ParseUncompressedPublicKey(pub.Curve, point)
				if err != nil || !got.Equal(pub) || jwk["kty"] != "EC" || jwk["crv"] != pub.Curve.Params().Name {
					t.Errorf("EC JWK %v does not describe the key (%v)", jwk, err)
				}
			case ed25519.PublicKey:
				if jwk["kty"] != "OKP" || jwk["crv"] != "Ed25519" || !bytes.Equal(field("x"), pub) {
					t.Errorf("OKP JWK %v does not describe the key", jwk)
				}
			}
		})
	}
}
