package certfile

import (
	"bytes"
	"crypto/rand"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestParseOpenSSLFixtures reads every format openssl writes, for every key
// type, and checks exactly which certificates and key came out.
func TestParseOpenSSLFixtures(t *testing.T) {
	dir := fixtureDir(t)
	root := loadCert(t, filepath.Join(dir, "root.pem"))
	inter := loadCert(t, filepath.Join(dir, "int.pem"))
	for _, k := range keyKinds {
		leaf := loadCert(t, filepath.Join(dir, k.name+".pem"))
		type tc struct {
			file      string
			pass      string
			wantCerts []string
			wantKey   bool
		}
		cases := map[string]tc{
			"cert PEM":              {file: k.name + ".pem", wantCerts: []string{fp(leaf)}},
			"PKCS#8 PEM":            {file: k.name + ".key", wantKey: true},
			"DER cert":              {file: k.name + "-cert.der", wantCerts: []string{fp(leaf)}},
			"x509 -text":            {file: k.name + "-text.pem", wantCerts: []string{fp(leaf)}},
			"PKCS#8 DER":            {file: k.name + "-pkcs8.der", wantKey: true},
			"encrypted PKCS#8 PEM":  {file: k.name + "-enc8.pem", pass: fixturePass, wantKey: true},
			"encrypted PKCS#8 DER":  {file: k.name + "-enc8.der", pass: fixturePass, wantKey: true},
			"p12 modern with inter": {file: k.name + ".p12", pass: fixturePass, wantCerts: []string{fp(leaf), fp(inter)}, wantKey: true},
			"p12 legacy with inter": {file: k.name + "-legacy.p12", pass: fixturePass, wantCerts: []string{fp(leaf), fp(inter)}, wantKey: true},
		}
		if k.legacyCmd != "" {
			cases["traditional PEM (PKCS#1/SEC1)"] = tc{file: k.name + "-trad.pem", wantKey: true}
			cases["traditional DER (PKCS#1/SEC1)"] = tc{file: k.name + "-trad.der", wantKey: true}
			cases["legacy encrypted PEM"] = tc{file: k.name + "-legacy.pem", pass: fixturePass, wantKey: true}
		}
		for name, c := range cases {
			t.Run(k.name+"/"+name, func(t *testing.T) {
				var pass PassphraseFunc
				asked := 0
				if c.pass != "" {
					pass = func(file string) ([]byte, error) {
						asked++
						if !strings.HasSuffix(file, c.file) {
							t.Errorf("passphrase asked for %q, want the file being read", file)
						}
						return []byte(c.pass), nil
					}
				}
				b, err := ParseFile(filepath.Join(dir, c.file), pass)
				if err != nil {
					t.Fatalf("ParseFile: %v", err)
				}
				var got []string
				for _, cert := range b.Certs {
					got = append(got, fp(cert))
				}
				if !slices.Equal(got, c.wantCerts) {
					t.Errorf("certs = %v, want %v", got, c.wantCerts)
				}
				switch {
				case !c.wantKey && len(b.Keys) != 0:
					t.Errorf("found %d keys, want none", len(b.Keys))
				case c.wantKey && len(b.Keys) != 1:
					t.Fatalf("found %d keys, want 1", len(b.Keys))
				case c.wantKey:
					if !samePublic(b.Keys[0].Public(), leaf.PublicKey) {
						t.Errorf("key does not match the leaf certificate")
					}
				}
				if c.pass != "" && asked != 1 {
					t.Errorf("passphrase asked %d times, want 1", asked)
				}
			})
		}
	}
	_ = root
}

func TestParseBundles(t *testing.T) {
	dir := fixtureDir(t)
	root := loadCert(t, filepath.Join(dir, "root.pem"))
	inter := loadCert(t, filepath.Join(dir, "int.pem"))
	p256 := loadCert(t, filepath.Join(dir, "p256.pem"))
	cases := map[string]struct {
		file      string
		pass      string
		wantCerts []string
		wantKeys  int
	}{
		"CA bundle PEM":                  {file: "bundle.pem", wantCerts: []string{fp(root), fp(inter)}},
		"PKCS#7 PEM":                     {file: "bundle.p7b", wantCerts: []string{fp(root), fp(inter)}},
		"PKCS#7 DER":                     {file: "bundle-p7b.der", wantCerts: []string{fp(root), fp(inter)}},
		"certs-only p12 (-nokeys)":       {file: "bundle.p12", pass: fixturePass, wantCerts: []string{fp(root), fp(inter)}},
		"p12 with empty password":        {file: "p256-nopass.p12", wantCerts: []string{fp(p256)}, wantKeys: 1},
		"mixed PEM with text around":     {file: "mixed.pem", wantCerts: []string{fp(p256), fp(root), fp(inter)}, wantKeys: 1},
		"traditional RSA legacy -aes256": {file: "rsa2048-legacy.pem", pass: fixturePass, wantKeys: 1},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var pass PassphraseFunc
			if c.pass != "" {
				pass = fixedPass(c.pass)
			}
			b, err := ParseFile(filepath.Join(dir, c.file), pass)
			if err != nil {
				t.Fatalf("ParseFile: %v", err)
			}
			var got []string
			for _, cert := range b.Certs {
				got = append(got, fp(cert))
			}
			if !slices.Equal(got, c.wantCerts) {
				t.Errorf("certs = %v, want %v", got, c.wantCerts)
			}
			if len(b.Keys) != c.wantKeys {
				t.Errorf("found %d keys, want %d", len(b.Keys), c.wantKeys)
			}
		})
	}
}

// TestParseBase64 covers a .p12 or DER certificate handed out as bare base64,
// as some portals do.
func TestParseBase64(t *testing.T) {
	dir := fixtureDir(t)
	leaf := loadCert(t, filepath.Join(dir, "p256.pem"))
	for _, f := range []string{"p256-cert.der", "p256.p12"} {
		t.Run(f, func(t *testing.T) {
			raw := readFile(t, filepath.Join(dir, f))
			enc := []byte(wrap64(raw))
			b, err := Parse(enc, f+".b64", fixedPass(fixturePass))
			if err != nil {
				t.Fatal(err)
			}
			if len(b.Certs) == 0 || fp(b.Certs[0]) != fp(leaf) {
				t.Errorf("first cert is not the leaf")
			}
		})
	}
}

func wrap64(b []byte) string {
	s := base64.StdEncoding.EncodeToString(b)
	var out strings.Builder
	for len(s) > 64 {
		out.WriteString(s[:64] + "\n")
		s = s[64:]
	}
	out.WriteString(s + "\n")
	return out.String()
}

func TestPassphraseAskedOnce(t *testing.T) {
	dir := fixtureDir(t)
	data := append(readFile(t, filepath.Join(dir, "p256-enc8.pem")), readFile(t, filepath.Join(dir, "p384-enc8.pem"))...)
	data = append(data, readFile(t, filepath.Join(dir, "p521-legacy.pem"))...)
	asked := 0
	b, err := Parse(data, "three-keys.pem", func(string) ([]byte, error) {
		asked++
		return []byte(fixturePass), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Keys) != 3 {
		t.Errorf("found %d keys, want 3", len(b.Keys))
	}
	if asked != 1 {
		t.Errorf("passphrase asked %d times, want 1", asked)
	}
}

func TestParseClearFilesNeverAsk(t *testing.T) {
	dir := fixtureDir(t)
	for _, f := range []string{"mixed.pem", "p256-nopass.p12", "rsa2048-trad.der", "bundle.p7b"} {
		_, err := ParseFile(filepath.Join(dir, f), func(string) ([]byte, error) {
			t.Errorf("%s: passphrase asked for a clear file", f)
			return nil, errors.New("no")
		})
		if err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	dir := fixtureDir(t)
	garbage := make([]byte, 4096)
	if _, err := rand.Read(garbage); err != nil {
		t.Fatal(err)
	}
	garbage[0] = 0x42 // not an ASN.1 SEQUENCE, so never accidentally DER
	p12 := readFile(t, filepath.Join(dir, "p256.p12"))
	der := readFile(t, filepath.Join(dir, "p256-cert.der"))
	certPEM := readFile(t, filepath.Join(dir, "p256.pem"))
	wrong := fixedPass("not the passphrase")

	type check func(t *testing.T, err error)
	isWrong := func(t *testing.T, err error) {
		if !errors.Is(err, ErrWrongPassphrase) {
			t.Errorf("err = %v, want ErrWrongPassphrase", err)
		}
	}
	isEncrypted := func(t *testing.T, err error) {
		if !errors.Is(err, ErrEncrypted) {
			t.Errorf("err = %v, want ErrEncrypted", err)
		}
		if !strings.Contains(err.Error(), "--pass-file") {
			t.Errorf("err = %q, want the hint", err)
		}
	}
	isFormat := func(want string) check {
		return func(t *testing.T, err error) {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v (%T), want *FormatError", err, err)
			}
			if !strings.Contains(err.Error(), want) {
				t.Errorf("err = %q, want it to mention %q", err, want)
			}
			if errors.Is(err, ErrWrongPassphrase) {
				t.Errorf("a format error reads as a wrong passphrase")
			}
		}
	}
	cases := map[string]struct {
		data  []byte
		file  string // read from the fixture dir instead of data
		pass  PassphraseFunc
		check check
	}{
		"p12 modern wrong passphrase":   {file: "p256.p12", pass: wrong, check: isWrong},
		"p12 legacy wrong passphrase":   {file: "rsa2048-legacy.p12", pass: wrong, check: isWrong},
		"PKCS#8 wrong passphrase":       {file: "p384-enc8.pem", pass: wrong, check: isWrong},
		"PKCS#8 DER wrong passphrase":   {file: "ed25519-enc8.der", pass: wrong, check: isWrong},
		"legacy PEM RSA wrong":          {file: "rsa2048-legacy.pem", pass: wrong, check: isWrong},
		"legacy PEM EC wrong":           {file: "p256-legacy.pem", pass: wrong, check: isWrong},
		"p12 without passphrase":        {file: "p256.p12", check: isEncrypted},
		"PKCS#8 without passphrase":     {file: "p256-enc8.pem", check: isEncrypted},
		"legacy PEM without passphrase": {file: "p521-legacy.pem", check: isEncrypted},
		"garbage":                       {data: garbage, check: isFormat("not PEM, DER, PKCS#12")},
		"prose":                         {data: []byte("hello, this is not a certificate at all\n"), check: isFormat("no certificate or key found")},
		"text starting with 0":          {data: []byte("0123 is not a certificate\n"), check: isFormat("text without any -----BEGIN")},
		"empty passphrase given":        {file: "p256-enc8.pem", pass: fixedPass(""), check: isWrong},
		"empty":                         {data: []byte{}, check: isFormat("empty")},
		"whitespace only":               {data: []byte("\n \n"), check: isFormat("empty")},
		"truncated PEM":                 {data: certPEM[:len(certPEM)/2], check: isFormat("BEGIN \"CERTIFICATE\" without END")},
		"PEM missing END, next BEGIN":   {data: append(certPEM[:len(certPEM)-30], certPEM...), check: isFormat("without END")},
		"bad base64 in PEM":             {data: bytes.Replace(certPEM, []byte("M"), []byte("!"), 3), check: isFormat("malformed")},
		"truncated DER cert":            {data: der[:len(der)-10], check: isFormat("truncated DER")},
		"truncated p12":                 {data: p12[:len(p12)/2], pass: fixedPass(fixturePass), check: isFormat("truncated DER")},
		"corrupt DER cert":              {data: corrupt(der, len(der)/2), check: isFormat("certificate")},
		"only a CSR":                    {file: "p256.csr", check: isFormat(`only "CERTIFICATE REQUEST" blocks`)},
		"DER trailing junk":             {data: append(append([]byte{}, readFile(t, filepath.Join(dir, "p256-pkcs8.der"))...), 1, 2, 3), check: isFormat("followed by 3 bytes")},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			data, src := c.data, "input-"+strings.ReplaceAll(name, " ", "-")
			if c.file != "" {
				data, src = readFile(t, filepath.Join(dir, c.file)), c.file
			}
			b, err := Parse(data, src, c.pass)
			if err == nil {
				t.Fatalf("Parse succeeded with %d certs, %d keys; want an error", len(b.Certs), len(b.Keys))
			}
			if !strings.Contains(err.Error(), src) {
				t.Errorf("err = %q does not name the file %q", err, src)
			}
			if strings.Contains(err.Error(), fixturePass) || strings.Contains(err.Error(), "not the passphrase") {
				t.Errorf("err = %q contains the passphrase", err)
			}
			c.check(t, err)
		})
	}
}

func corrupt(b []byte, at int) []byte {
	out := append([]byte{}, b...)
	out[at] ^= 0xff
	return out
}

func TestParseFileTooLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "huge.pem")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	// Sparse: the size check must refuse it without reading 10 MiB.
	if err := f.Truncate(MaxFileSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, err = ParseFile(path, nil)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	if !strings.Contains(err.Error(), "huge.pem") {
		t.Errorf("err = %q does not name the file", err)
	}
	if _, err := Parse(make([]byte, MaxFileSize+1), "mem", nil); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Parse: err = %v, want ErrTooLarge", err)
	}
	// Exactly the limit is still read (and then refused as garbage).
	if err := os.Truncate(path, MaxFileSize); err != nil {
		t.Fatal(err)
	}
	var fe *FormatError
	if _, err := ParseFile(path, nil); !errors.As(err, &fe) {
		t.Errorf("at the limit: err = %v, want *FormatError", err)
	}
}

func TestParsePassphraseFuncError(t *testing.T) {
	dir := fixtureDir(t)
	sentinel := errors.New("terminal closed")
	_, err := ParseFile(filepath.Join(dir, "p256.p12"), func(string) ([]byte, error) { return nil, sentinel })
	if !errors.Is(err, sentinel) {
		t.Errorf("err = %v, want the PassphraseFunc's error wrapped", err)
	}
}

// TestKDFCostBounded proves a file asking for an absurd iteration count is
// refused before any key derivation runs; with the default ceiling, 2^31-1
// iterations would otherwise hang the import for hours.
func TestKDFCostBounded(t *testing.T) {
	dir := fixtureDir(t)
	const absurd = 1<<31 - 1

	enc8 := readFile(t, filepath.Join(dir, "p256-enc8.der"))
	var info encryptedKeyInfo
	var pp pbes2Params
	var kp pbkdf2Params
	mustUnmarshal(t, enc8, &info)
	mustUnmarshal(t, info.Alg.Parameters.FullBytes, &pp)
	mustUnmarshal(t, pp.KDF.Parameters.FullBytes, &kp)
	kp.Iter = absurd
	pp.KDF.Parameters.FullBytes = mustMarshal(t, kp)
	info.Alg.Parameters.FullBytes = mustMarshal(t, pp)
	costlyKey := mustMarshal(t, info)

	p12 := readFile(t, filepath.Join(dir, "p256.p12"))
	var pfx pfxPDU
	mustUnmarshal(t, p12, &pfx)
	pfx.MacData.Iterations = absurd
	costlyP12 := mustMarshal(t, pfx)

	for name, data := range map[string][]byte{"PKCS#8": costlyKey, "p12 MAC": costlyP12} {
		t.Run(name, func(t *testing.T) {
			asked := false
			_, err := Parse(data, name, func(string) ([]byte, error) { asked = true; return []byte(fixturePass), nil })
			var fe *FormatError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), "iterations") {
				t.Fatalf("err = %v, want a *FormatError about iterations", err)
			}
			if asked {
				t.Errorf("passphrase asked for a file that is refused anyway")
			}
		})
	}
}

func mustUnmarshal(t *testing.T, der []byte, v any) {
	t.Helper()
	if _, err := asn1.Unmarshal(der, v); err != nil {
		t.Fatal(err)
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	der, err := asn1.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// TestParseTextEncodings covers PEM as editors, shells and kubeconfig
// deliver it.
func TestParseTextEncodings(t *testing.T) {
	dir := fixtureDir(t)
	leaf := loadCert(t, filepath.Join(dir, "p256.pem"))
	pemData := readFile(t, filepath.Join(dir, "p256.pem"))
	utf16 := func(bigEndian bool) []byte {
		out := []byte{0xff, 0xfe}
		if bigEndian {
			out = []byte{0xfe, 0xff}
		}
		for _, c := range string(pemData) {
			if bigEndian {
				out = append(out, byte(c>>8), byte(c))
			} else {
				out = append(out, byte(c), byte(c>>8))
			}
		}
		return out
	}
	cases := map[string][]byte{
		"UTF-8 BOM":                  append([]byte{0xef, 0xbb, 0xbf}, pemData...),
		"UTF-16LE (PowerShell >)":    utf16(false),
		"UTF-16BE":                   utf16(true),
		"CRLF line endings":          bytes.ReplaceAll(pemData, []byte("\n"), []byte("\r\n")),
		"base64 of PEM (kubeconfig)": []byte(base64.StdEncoding.EncodeToString(pemData)),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			b, err := Parse(data, name, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(b.Certs) != 1 || fp(b.Certs[0]) != fp(leaf) {
				t.Errorf("certs = %v, want [%s]", fps(b.Certs), fp(leaf))
			}
		})
	}
}
