package workspace

import (
	"crypto/x509"
	"testing"
)

func TestLooksLikeLeaf(t *testing.T) {
	cases := map[string]struct {
		c    x509.Certificate
		leaf bool
	}{
		"CA:TRUE":                      {x509.Certificate{BasicConstraintsValid: true, IsCA: true}, false},
		"CA:FALSE":                     {x509.Certificate{BasicConstraintsValid: true}, true},
		"CA:FALSE with clientAuth":     {x509.Certificate{BasicConstraintsValid: true, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, true},
		"no basicConstraints, client":  {x509.Certificate{ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, true},
		"no basicConstraints, server":  {x509.Certificate{ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, true},
		"no basicConstraints, no EKU":  {x509.Certificate{}, false}, // an old v1 root: a CA, as before
		"CA:TRUE despite a client EKU": {x509.Certificate{BasicConstraintsValid: true, IsCA: true, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, false},
	}
	for name, tc := range cases {
		if got := looksLikeLeaf(&tc.c); got != tc.leaf {
			t.Errorf("%s: looksLikeLeaf = %v, want %v", name, got, tc.leaf)
		}
	}
}
