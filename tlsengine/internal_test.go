package tlsengine

import (
	"crypto/tls"
	"crypto/x509/pkix"
	"encoding/asn1"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mtlswb/mtlswb/tlsengine/pki"
	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

func TestPreview(t *testing.T) {
	long := strings.Repeat("é", previewLimit) // 2 bytes a rune: the limit falls mid-rune
	cases := map[string]struct {
		body       string
		total      int64
		ctype      string
		wantBinary bool
		want       string // fragment
		notWant    string
	}{
		"empty":           {body: "", total: 0, want: ""},
		"text":            {body: "hello\nworld", total: 11, want: "hello\nworld"},
		"escapes kept":    {body: "a\x1b[2Jb", total: 6, want: "a\x1b[2Jb"},
		"cr kept":         {body: "over\rwrite", total: 10, want: "over\rwrite"},
		"nul is binary":   {body: "ab\x00cd", total: 5, wantBinary: true, want: "binary body: 5 bytes; starts 61 62 00 63 64"},
		"invalid utf8":    {body: "\xff\xfe\xfd", total: 3, ctype: "application/octet-stream", wantBinary: true, want: "application/octet-stream"},
		"cut mid rune":    {body: long, total: int64(len(long)), want: "more bytes", notWant: "\\x"},
		"truncated count": {body: "abc", total: 10, want: "abc\n… 7 more bytes"},
		"hostile type":    {body: "\x00", total: 1, ctype: "x/\x1b]0;t\x07", wantBinary: true, notWant: "\x1b"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, bin := preview([]byte(c.body), c.total, c.ctype)
			if bin != c.wantBinary {
				t.Errorf("binary = %v, want %v (%q)", bin, c.wantBinary, got)
			}
			if !strings.Contains(got, c.want) {
				t.Errorf("preview %q does not contain %q", got, c.want)
			}
			if c.notWant != "" && strings.Contains(got, c.notWant) {
				t.Errorf("preview %q contains %q", got, c.notWant)
			}
		})
	}
}

func TestDNString(t *testing.T) {
	der := func(n pkix.Name) []byte {
		b, err := asn1.Marshal(n.ToRDNSequence())
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cases := map[string]struct {
		der  []byte
		want string
	}{
		"simple":   {der: der(pkix.Name{CommonName: "Partner Root", Organization: []string{"Partner"}}), want: "CN=Partner Root,O=Partner"},
		"hostile":  {der: der(pkix.Name{CommonName: "x\x1b]0;t\x07"}), want: "CN=x^[]0\\;t^G"},
		"garbage":  {der: []byte{1, 2, 3}, want: "<undecodable name, 3 bytes>"},
		"trailing": {der: append(der(pkix.Name{CommonName: "a"}), 0), want: "<undecodable name"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if got := dnString(c.der); !strings.Contains(got, c.want) {
				t.Errorf("dnString = %q, want %q", got, c.want)
			}
		})
	}
}

func TestKeyTypeAllowed(t *testing.T) {
	keys := map[pki.KeyType]any{}
	for _, kt := range []pki.KeyType{pki.ECP256, pki.ECP384, pki.RSA2048, pki.Ed25519} {
		k, err := pki.GenerateKey(kt)
		if err != nil {
			t.Fatal(err)
		}
		keys[kt] = k.Public()
	}
	p256only := []tls.SignatureScheme{tls.ECDSAWithP256AndSHA256}
	cases := map[string]struct {
		key     pki.KeyType
		version uint16
		offered []tls.SignatureScheme
		want    bool
	}{
		"nothing offered":          {key: pki.Ed25519, version: tls.VersionTLS13, want: true},
		"p256 in 1.3":              {key: pki.ECP256, version: tls.VersionTLS13, offered: p256only, want: true},
		"p384 in 1.3 needs sha384": {key: pki.ECP384, version: tls.VersionTLS13, offered: p256only, want: false},
		"p384 in 1.2 any hash":     {key: pki.ECP384, version: tls.VersionTLS12, offered: p256only, want: true},
		"rsa pkcs1 only in 1.3":    {key: pki.RSA2048, version: tls.VersionTLS13, offered: []tls.SignatureScheme{tls.PKCS1WithSHA256}, want: false},
		"rsa pkcs1 in 1.2":         {key: pki.RSA2048, version: tls.VersionTLS12, offered: []tls.SignatureScheme{tls.PKCS1WithSHA256}, want: true},
		"ed25519 not offered":      {key: pki.Ed25519, version: tls.VersionTLS13, offered: p256only, want: false},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if got := keyTypeAllowed(keys[c.key], c.version, c.offered); got != c.want {
				t.Errorf("keyTypeAllowed = %v, want %v", got, c.want)
			}
		})
	}
}

func TestAgo(t *testing.T) {
	for d, want := range map[time.Duration]string{
		3 * 24 * time.Hour: "3 days", 5 * time.Hour: "5 hours", 10 * time.Minute: "10 minutes", 30 * time.Second: "30 seconds",
	} {
		if got := ago(d); got != want {
			t.Errorf("ago(%s) = %q, want %q", d, got, want)
		}
	}
}

// checkTerminalSafe fails when s could act on a terminal: invalid UTF-8, C0
// controls other than those allowed, DEL, C1 controls or bidi overrides.
func checkTerminalSafe(t *testing.T, s string, allow string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Fatalf("invalid UTF-8: %q", s)
	}
	for _, r := range s {
		switch {
		case strings.ContainsRune(allow, r):
		case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			t.Fatalf("unsafe rune %U in %q", r, s)
		}
	}
}

// FuzzPreview: a text preview is the body's start as it came, which a
// terminal shows through safetext; a binary body's summary is safe as it is.
func FuzzPreview(f *testing.F) {
	f.Add([]byte("hello\x1b]52;c;eA==\x07"), "text/plain")
	f.Add([]byte("\x89PNG\r\n\x1a\n"), "image/png\x1b[2J")
	f.Add([]byte(strings.Repeat("é", previewLimit)), "")
	f.Fuzz(func(t *testing.T, body []byte, ctype string) {
		got, binary := preview(body, int64(len(body)), ctype)
		if binary {
			checkTerminalSafe(t, got, "")
			return
		}
		text, _, _ := strings.Cut(got, "\n… ")
		if !strings.HasPrefix(string(body), text) {
			t.Fatalf("preview %q is not the start of the body %q", got, body)
		}
		checkTerminalSafe(t, safetext.Block(got), "\n\t")
	})
}

func FuzzDNString(f *testing.F) {
	der, _ := asn1.Marshal(pkix.Name{CommonName: "x\x1b]0;t\x07", Organization: []string{"\u202eevil"}}.ToRDNSequence())
	f.Add(der)
	f.Add([]byte{0x30, 0x03, 0x31, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, der []byte) {
		checkTerminalSafe(t, dnString(der), "")
	})
}
