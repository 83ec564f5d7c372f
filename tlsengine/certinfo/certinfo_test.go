package certinfo

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine/pki"
)

func TestDescribe(t *testing.T) {
	root, err := pki.NewRoot(pki.Spec{CN: "Root", IsCA: true, MaxPathLen: 1})
	if err != nil {
		t.Fatal(err)
	}
	spiffe, _ := url.Parse("spiffe://example.org/ns/prod/sa/api")
	leaf, err := root.Issue(pki.Spec{CN: "joe\x1b]52;c;eA==\x07", Client: true, DNSNames: []string{"joe.example"}, URIs: []*url.URL{spiffe}})
	if err != nil {
		t.Fatal(err)
	}
	info := Describe(leaf.Cert)
	if strings.ContainsRune(info.Subject, 0x1b) {
		t.Errorf("subject not sanitized: %q", info.Subject)
	}
	if len(info.SPIFFEIDs) != 1 || info.SPIFFEIDs[0] != "spiffe://example.org/ns/prod/sa/api" {
		t.Errorf("SPIFFE IDs = %v", info.SPIFFEIDs)
	}
	sum := sha256.Sum256(leaf.Cert.Raw)
	if want := base64.RawURLEncoding.EncodeToString(sum[:]); info.X5tS256 != want {
		t.Errorf("x5t#S256 = %q, want %q", info.X5tS256, want)
	}
	if strings.ContainsAny(info.X5tS256, "+/=") {
		t.Errorf("x5t#S256 is not base64url: %q", info.X5tS256)
	}
	if !info.ClientAuth || info.SelfSigned || info.IsCA {
		t.Errorf("ClientAuth=%v SelfSigned=%v IsCA=%v", info.ClientAuth, info.SelfSigned, info.IsCA)
	}
	if got := strings.Join(info.ExtKeyUsage, ","); got != "clientAuth" {
		t.Errorf("EKU = %q", got)
	}
	rootInfo := Describe(root.Cert)
	if !rootInfo.SelfSigned || !rootInfo.IsCA || rootInfo.MaxPathLen == nil || *rootInfo.MaxPathLen != 1 {
		t.Errorf("root: SelfSigned=%v IsCA=%v MaxPathLen=%v", rootInfo.SelfSigned, rootInfo.IsCA, rootInfo.MaxPathLen)
	}
}

func TestClientAuth(t *testing.T) {
	root, _ := pki.NewRoot(pki.Spec{CN: "Root", IsCA: true})
	cases := map[string]struct {
		eku  []x509.ExtKeyUsage
		want bool
	}{
		"client":      {[]x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, true},
		"server only": {[]x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, false},
		"any":         {[]x509.ExtKeyUsage{x509.ExtKeyUsageAny}, true},
		"none":        {[]x509.ExtKeyUsage{}, true},
	}
	for name, tc := range cases {
		leaf, err := root.Issue(pki.Spec{CN: name, ExtKeyUsage: tc.eku})
		if err != nil {
			t.Fatal(err)
		}
		if got := ClientAuth(leaf.Cert); got != tc.want {
			t.Errorf("%s: ClientAuth = %v, want %v", name, got, tc.want)
		}
	}
}

func TestDaysUntil(t *testing.T) {
	now := time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)
	cases := map[string]struct {
		t    time.Time
		want int
	}{
		"in 30 days":   {now.Add(30*24*time.Hour + time.Minute), 30},
		"later today":  {now.Add(time.Hour), 0},
		"an hour ago":  {now.Add(-time.Hour), -1},
		"two days ago": {now.Add(-48*time.Hour - time.Minute), -2},
	}
	for name, tc := range cases {
		if got := DaysUntil(tc.t, now); got != tc.want {
			t.Errorf("%s: DaysUntil = %d, want %d", name, got, tc.want)
		}
	}
}
