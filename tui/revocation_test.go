package tui

import (
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/pki"
	"github.com/mtlswb/mtlswb/tlsengine/realserver"
	"github.com/mtlswb/mtlswb/tlsengine/revocation"
	"github.com/mtlswb/mtlswb/workspace"
)

// TestRevocationInDetail: an identity whose certificate names its CRL shows
// "checking…" at once, and the status when the command (which fetches off
// the update loop) answers.
func TestRevocationInDetail(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	root, err := pki.NewRoot(pki.Spec{CN: "Detail Root", IsCA: true})
	if err != nil {
		t.Fatal(err)
	}
	var crl []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write(crl) }))
	defer srv.Close()
	leaf, err := root.Issue(pki.Spec{CN: "joe", Client: true, CRLURLs: []string{srv.URL + "/root.crl"}})
	if err != nil {
		t.Fatal(err)
	}
	crl = realserver.NewCRL(t, root, leaf.Cert)
	st := newStyles(true, true)
	msg := recordLoadedMsg{seq: 1, name: "joe", issuer: root.Cert, ok: true,
		rec: &workspace.Record{Entry: workspace.Entry{Kind: workspace.KindIdentity, Name: "joe", HasKey: true}, Chain: []*x509.Certificate{leaf.Cert}}}
	if got := renderRecord(&st, &msg, time.Now(), 100); !strings.Contains(got, "checking its CRL") {
		t.Errorf("before the check:\n%s", got)
	}
	checked, ok := checkRevocationCmd(1, "joe", leaf.Cert, root.Cert)().(revocationCheckedMsg)
	if !ok || checked.status.State != revocation.Revoked {
		t.Fatalf("check: %+v", checked)
	}
	msg.revocation = &checked.status
	if got := renderRecord(&st, &msg, time.Now(), 100); !strings.Contains(got, "Revocation") || !strings.Contains(got, "revoked at") {
		t.Errorf("after the check:\n%s", got)
	}
}

// TestResendWithTLS12: ctrl+t on a verdict that TLS 1.2 can explain sends
// the same request again with TLS 1.2 at most; elsewhere it does nothing.
func TestResendWithTLS12(t *testing.T) {
	cases := map[string]struct {
		rep  tlsengine.Report
		want bool
	}{
		"post-handshake auth": {rep: tlsengine.Report{TLS: tlsengine.TLSInfo{Version: "TLS 1.3"},
			Failure: &tlsengine.Failure{Category: tlsengine.ClientCertRequired}}, want: true},
		"bare close": {rep: tlsengine.Report{TLS: tlsengine.TLSInfo{Version: "TLS 1.3", ClientCertRequested: true},
			Failure: &tlsengine.Failure{Category: tlsengine.ConnectionReset}}, want: true},
		"alert with a reason": {rep: tlsengine.Report{TLS: tlsengine.TLSInfo{Version: "TLS 1.3", ClientCertRequested: true},
			Failure: &tlsengine.Failure{Category: tlsengine.ClientCertUnknownCA}}},
		"tls 1.2 already": {rep: tlsengine.Report{TLS: tlsengine.TLSInfo{Version: "TLS 1.2"},
			Failure: &tlsengine.Failure{Category: tlsengine.ConnectionReset}}},
		"success": {rep: tlsengine.Report{OK: true, TLS: tlsengine.TLSInfo{Version: "TLS 1.3"}}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := newInspectorScreen(&shared{styles: newStyles(true, true), now: time.Now})
			s.setSize(100, 30)
			s.setReport(tc.rep, workspace.RequestSpec{URL: "https://127.0.0.1:8443/", Identity: "joe"}, true)
			cmd := s.update(keyMsg("ctrl+t"))
			if (cmd != nil) != tc.want {
				t.Fatalf("ctrl+t gave a command: %t, want %t", cmd != nil, tc.want)
			}
			if cmd == nil {
				return
			}
			if m, ok := cmd().(resendMsg); !ok || m.spec.TLSMax != "1.2" || m.spec.Identity != "joe" {
				t.Errorf("ctrl+t: %+v", m)
			}
		})
	}
}
