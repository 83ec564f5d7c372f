package tlsengine

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine/pki"
)

func TestEvidenceClassify(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	opErr := func(errno syscall.Errno) error {
		return &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", errno)}
	}
	cases := map[string]struct {
		err    error
		parent context.Context
		check  func(ev *evidence) bool
	}{
		"phase and via": {err: &phaseError{phase: PhaseConnect, via: "proxy", err: opErr(syscall.ECONNREFUSED)},
			check: func(ev *evidence) bool { return ev.phase == PhaseConnect && ev.via == "proxy" && ev.refused }},
		"dns": {err: &phaseError{phase: PhaseDNS, err: &net.DNSError{Name: "x", IsNotFound: true}},
			check: func(ev *evidence) bool { return ev.dns != nil && ev.dns.Name == "x" && ev.phase == PhaseDNS }},
		"proxy": {err: &phaseError{phase: PhaseConnect, err: &ProxyError{Proxy: "p:1", Status: "403"}},
			check: func(ev *evidence) bool { return ev.proxy != nil }},
		"alert": {err: fmt.Errorf("wrapped: %w", tls.AlertError(48)),
			check: func(ev *evidence) bool { return ev.alert != nil && ev.alert.number == 48 && !ev.alert.afterHandshake }},
		"record header": {err: tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"},
			check: func(ev *evidence) bool { return ev.recordHeader != nil }},
		"verification without a verdict": {err: &tls.CertificateVerificationError{Err: errors.New("x")},
			check: func(ev *evidence) bool { return !ev.serverReject }},
		"deadline":    {err: context.DeadlineExceeded, check: func(ev *evidence) bool { return ev.timeout && !ev.canceled }},
		"unreachable": {err: opErr(syscall.EHOSTUNREACH), check: func(ev *evidence) bool { return ev.unreachable && !ev.refused }},
		"eof":         {err: &phaseError{phase: PhaseHandshake, err: io.EOF}, check: func(ev *evidence) bool { return ev.closed }},
		"reset":       {err: opErr(syscall.ECONNRESET), check: func(ev *evidence) bool { return ev.closed }},
		"no version": {err: errors.New("tls: server selected unsupported protocol version 301"),
			check: func(ev *evidence) bool { return ev.noVersion && !ev.closed }},
		"canceled by the caller": {err: context.Canceled, parent: canceled, check: func(ev *evidence) bool { return ev.canceled }},
		"canceled inside":        {err: context.Canceled, check: func(ev *evidence) bool { return !ev.canceled }},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			parent := c.parent
			if parent == nil {
				parent = context.Background()
			}
			ev := &evidence{err: c.err, phase: PhaseHandshake}
			ev.classify(parent, c.err)
			if !c.check(ev) {
				t.Errorf("evidence of %v: %+v", c.err, ev)
			}
		})
	}
}

// TestAttemptEvidence collects evidence from an attempt that did not go
// out: the request facts and the local checks of the identity.
func TestAttemptEvidence(t *testing.T) {
	p := testPKI()
	expired, err := p.rogue.Issue(pki.Spec{CN: "old-joe", Client: true, NotBefore: testNow.Add(-72 * time.Hour), NotAfter: testNow.Add(-48 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	req := Request{URL: "https://127.0.0.1:8443/", Proxy: "http://proxy.local:3128", RootNames: []string{"test-root"},
		Roots: []*x509.Certificate{p.root.Cert}, MaxVersion: tls.VersionTLS12,
		ClientCert: &tls.Certificate{Certificate: [][]byte{expired.Cert.Raw}, PrivateKey: expired.Key, Leaf: expired.Cert},
		ClientName: "old-joe",
		Candidates: []NamedChain{{Name: "joe", Chain: []*x509.Certificate{p.joe.Cert}}},
	}
	tgt, err := req.check()
	if err != nil {
		t.Fatal(err)
	}
	a := newAttempt(req, tgt, testNow)
	a.certReq = &certRequest{acceptable: [][]byte{p.root.Cert.RawSubject}, version: tls.VersionTLS12}
	a.sent, a.handshakeDone, a.state = true, true, &tls.ConnectionState{Version: tls.VersionTLS12}
	ev := a.evidence(context.Background(), tls.AlertError(42), nil)

	rf := ev.req
	if rf.target != "127.0.0.1:8443" || rf.proxy != "proxy.local:3128" || rf.limit != defaultTimeout ||
		rf.minVersion != tls.VersionTLS12 || rf.maxVersion != tls.VersionTLS12 || rf.systemTrust || rf.trustNames[0] != "test-root" {
		t.Errorf("request facts: %+v", rf)
	}
	cl := ev.client
	if !cl.chosen || !cl.sent || cl.who != "identity `old-joe`" || !cl.clientAuth || cl.issuerListed || !cl.keyFits ||
		!strings.HasPrefix(cl.validity, "expired at") || !cl.problems() {
		t.Errorf("client evidence: %+v", cl)
	}
	if len(cl.fitting) != 1 || !strings.Contains(cl.fitting[0], "identity `joe` is issued by CN=Test Root") {
		t.Errorf("fitting identities: %q", cl.fitting)
	}
	if ev.alert == nil || !ev.alert.afterHandshake || ev.version != tls.VersionTLS12 {
		t.Errorf("alert %+v, version %x", ev.alert, ev.version)
	}
	f := diagnosis(ev)
	checkCauses(t, f.Causes, []want{{ClientCertExpired, Likely, "expired at"}, {ClientCertUnknownCA, Likely, "CN=Rogue CA"}, {ClientCertRejected, Possible, ""}})

	h := a.evidence(nil, nil, &HTTPInfo{Status: 400, Body: []byte("x"), BodyPreview: "x"})
	if h.answer == nil || h.answer.status != 400 || h.answer.reason != "x" || h.phase != PhaseResponse || h.err != nil {
		t.Errorf("http evidence: %+v", h)
	}
}
