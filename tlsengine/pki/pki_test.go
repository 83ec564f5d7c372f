package pki

import (
	"crypto/x509"
	"testing"
	"time"
)

func TestChainVerifies(t *testing.T) {
	root, err := NewRoot(Spec{CN: "Root", IsCA: true, MaxPathLen: 1})
	if err != nil {
		t.Fatal(err)
	}
	inter, err := root.Issue(Spec{CN: "Inter", IsCA: true, Key: ECP384})
	if err != nil {
		t.Fatal(err)
	}
	for _, kt := range KeyTypes {
		if kt == RSA4096 {
			continue // slow, and identical in kind to RSA3072
		}
		leaf, err := inter.Issue(Spec{CN: "joe", Client: true, Key: kt})
		if err != nil {
			t.Fatalf("%s: %v", kt, err)
		}
		if got := DescribeKey(leaf.Cert.PublicKey); got != string(kt) {
			t.Errorf("DescribeKey = %q, want %q", got, kt)
		}
		roots, inters := x509.NewCertPool(), x509.NewCertPool()
		roots.AddCert(root.Cert)
		inters.AddCert(inter.Cert)
		if _, err := leaf.Cert.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inters,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
			t.Errorf("%s: chain does not verify: %v", kt, err)
		}
		if string(leaf.Cert.AuthorityKeyId) != string(inter.Cert.SubjectKeyId) {
			t.Errorf("%s: AKI does not match issuer SKI", kt)
		}
	}
}

func TestExpiredAndWrongUsage(t *testing.T) {
	root, _ := NewRoot(Spec{CN: "Root", IsCA: true})
	expired, err := root.Issue(Spec{CN: "old", Client: true,
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if !expired.Cert.NotAfter.Before(time.Now()) {
		t.Error("expired certificate is still valid")
	}
	serverOnly, _ := root.Issue(Spec{CN: "svc", ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	if len(serverOnly.Cert.ExtKeyUsage) != 1 || serverOnly.Cert.ExtKeyUsage[0] != x509.ExtKeyUsageServerAuth {
		t.Errorf("EKU = %v, want serverAuth only", serverOnly.Cert.ExtKeyUsage)
	}
	if _, err := expired.Issue(Spec{CN: "x"}); err == nil {
		t.Error("a leaf issued a certificate")
	}
	if _, err := NewRoot(Spec{}); err == nil {
		t.Error("a certificate without CN was made")
	}
}

func TestSerialsAreRandom128Bit(t *testing.T) {
	root, _ := NewRoot(Spec{CN: "Root", IsCA: true})
	a, _ := root.Issue(Spec{CN: "a"})
	b, _ := root.Issue(Spec{CN: "b"})
	if a.Cert.SerialNumber.Cmp(b.Cert.SerialNumber) == 0 {
		t.Error("two certificates share a serial")
	}
	if a.Cert.SerialNumber.BitLen() > 128 {
		t.Errorf("serial has %d bits", a.Cert.SerialNumber.BitLen())
	}
}
