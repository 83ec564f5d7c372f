package tlsengine

import (
	"crypto/tls"
	"crypto/x509"
	"strings"
	"testing"

	"github.com/mtlswb/mtlswb/tlsengine/pki"
	"github.com/mtlswb/mtlswb/tlsengine/revocation"
)

// Table tests of the rules issue 9 added: each real-server behaviour as
// evidence in, causes out. The realserver package runs the same cases
// against nginx, HAProxy and Apache.

const apachePHAPage = "<title>403 Forbidden</title><p>You don't have permission to access this resource.Reason: Cannot perform Post-Handshake Authentication.<br /></p>"

func TestPostHandshakeAuthRule(t *testing.T) {
	checkRule(t, postHandshakeAuthRule{}, map[string]ruleCase{
		"apache 403": {ev: ev(tls13Done, chosen, answer(403, apachePHAPage)),
			want: []want{{ClientCertRequired, Certain, "Cannot perform Post-Handshake Authentication"}}},
		"apache 403, no identity": {ev: ev(tls13Done, answer(403, apachePHAPage)),
			want: []want{{ClientCertRequired, Certain, "asked for no client certificate"}}},
		"403 after tls13, identity chosen": {ev: ev(tls13Done, chosen, answer(403, "forbidden")),
			want: []want{{ClientCertRequired, Possible, "so identity `joe` was never sent"}}},
		"403 after tls13, nothing chosen": {ev: ev(tls13Done, answer(403, "forbidden"))},
		"403 after a certificate request": {ev: ev(tls13Done, requested, sent, answer(403, apachePHAPage))},
		"403 after tls12":                 {ev: ev(chosen, answer(403, apachePHAPage), func(e *evidence) { e.version = tls.VersionTLS12 })},
		"404":                             {ev: ev(tls13Done, chosen, answer(404, apachePHAPage))},
	})
	f := diagnosis(ev(tls13Done, chosen, answer(403, apachePHAPage)))
	if f.Category != ClientCertRequired || !strings.Contains(f.Hints[0], "--tls-max 1.2") || !strings.Contains(f.Hints[1], "virtual-host level") {
		t.Errorf("apache 403 diagnosed as %s: %q", f.Category, f.Hints)
	}
}

func TestHTTPStatusWithoutCertificate(t *testing.T) {
	checkRule(t, httpForbiddenRule, map[string]ruleCase{
		"sent": {ev: ev(requested, sent, answer(403, "no")), want: []want{{HTTPForbidden, Certain, "answered HTTP 403"}}},
		"asked, none sent": {ev: ev(requested, answer(403, "no")),
			want: []want{{HTTPForbidden, Possible, "no client certificate was sent, although the server asked for one"}}},
		"not asked, identity chosen": {ev: ev(chosen, answer(403, "no")),
			want: []want{{HTTPForbidden, Certain, "the server asked for no client certificate, so identity `joe` was not sent"}}},
	})
	for _, c := range []struct {
		name string
		ev   *evidence
	}{{"not asked", ev(chosen, answer(403, "no"))}, {"asked", ev(requested, answer(403, "no"))}} {
		for _, h := range httpForbiddenRule.Propose(c.ev)[0].hints {
			if strings.Contains(h, "identity is known") {
				t.Errorf("%s: a hint presumes a certificate that was never sent: %q", c.name, h)
			}
		}
	}
}

func TestHTTPCertificateStatusRules(t *testing.T) {
	checkRule(t, http496Rule{}, map[string]ruleCase{
		"496, none sent": {ev: ev(requested, answer(496, "SSL certificate required")),
			want: []want{{ClientCertRequired, Certain, "496 (SSL certificate required"}}},
		"400": {ev: ev(requested, answer(400, "SSL certificate required"))},
	})
	checkRule(t, optionalCertNotSentRule{}, map[string]ruleCase{
		"403":                {ev: ev(requested, answer(403, "no")), want: []want{{ClientCertRequired, Likely, "none was sent, and it then answered HTTP 403"}}},
		"401":                {ev: ev(requested, answer(401, "no")), want: []want{{ClientCertRequired, Likely, "HTTP 401"}}},
		"nginx's 496 page":   {ev: ev(requested, answer(400, nginxNoCertificate))},
		"sent":               {ev: ev(requested, sent, answer(403, "no"))},
		"no request":         {ev: ev(answer(403, "no"))},
		"server error (500)": {ev: ev(requested, answer(500, "no"))},
	})
	checkRanked(t, map[string]rankCase{
		"403, asked, none sent": {ev: ev(requested, answer(403, "no")), want: []want{
			{ClientCertRequired, Likely, "asked for a client certificate"}, {HTTPForbidden, Possible, ""}}},
		"495": {ev: ev(requested, sent, answer(495, "SSL certificate error")), want: []want{
			{ClientCertRejected, Certain, "HTTP 495"}}},
		"495, expired": {ev: ev(requested, sent, answer(495, "SSL certificate error"), expiredHere), want: []want{
			{ClientCertExpired, Likely, "HTTP 495"}, {ClientCertRejected, Possible, ""}}},
	})
}

func TestRetryVerdictRule(t *testing.T) {
	checkRule(t, retryVerdictRule{}, map[string]ruleCase{
		"refused": {ev: ev(tls13Done, requested, sent, closedConn, retried(&retryOutcome{alert: 45, category: ClientCertExpired, summary: "expired"})),
			want: []want{{ClientCertExpired, Likely, "with alert 45 (certificate_expired)"}}},
		"accepted":      {ev: ev(tls13Done, requested, sent, closedConn, retried(&retryOutcome{ok: true}))},
		"other failure": {ev: ev(tls13Done, requested, sent, closedConn, retried(&retryOutcome{category: ConnectionReset}))},
		"no retry":      {ev: ev(tls13Done, requested, sent, closedConn)},
	})
}

// revokedHere: the identity's CRL says it is revoked.
func revokedHere(e *evidence) {
	e.revocation = &revocation.Status{State: revocation.Revoked, Source: "crl", Where: "http://127.0.0.1:8080/ca.crl", Reason: "keyCompromise"}
	e.client.revoked = true
}

func TestLocalRevokedRule(t *testing.T) {
	nginx400 := answer(400, nginx495)
	checkRule(t, localRevokedRule{}, map[string]ruleCase{
		"nginx 495 page": {ev: ev(requested, sent, nginx400, revokedHere),
			want: []want{{ClientCertRevoked, Likely, "local check: identity `joe` is revoked (keyCompromise), says the CRL http://127.0.0.1:8080/ca.crl"}}},
		"alert 42":            {ev: ev(requested, sent, alert(42), revokedHere), want: []want{{ClientCertRevoked, Likely, ""}}},
		"close after tls13":   {ev: ev(tls13Done, requested, sent, closedConn, revokedHere), want: []want{{ClientCertRevoked, Likely, ""}}},
		"alert 44 says it":    {ev: ev(requested, sent, alert(44), revokedHere)},
		"not revoked":         {ev: ev(requested, sent, nginx400)},
		"nothing sent":        {ev: ev(requested, chosen, nginx400, revokedHere)},
		"specific alert (48)": {ev: ev(requested, sent, alert(48), revokedHere)},
	})
	checkRanked(t, map[string]rankCase{
		"nginx 495 page, revoked": {ev: ev(requested, sent, nginx400, revokedHere), want: []want{
			{ClientCertRevoked, Likely, "revoked"}, {ClientCertRejected, Possible, ""}}},
	})
	f := diagnosis(ev(requested, sent, alert(44), revokedHere))
	if f.Category != ClientCertRevoked || !strings.Contains(strings.Join(f.Hints, "\n"), "here: revoked (keyCompromise), says the CRL") {
		t.Errorf("alert 44 with the CRL's word: %s %q", f.Category, f.Hints)
	}
}

// deepChain: the identity's chain has two intermediates.
func deepChain(e *evidence) { e.client.intermediates = 2 }

func TestChainDepthRule(t *testing.T) {
	checkRule(t, chainDepthRule{}, map[string]ruleCase{
		"rejected without a reason": {ev: ev(requested, sent, alert(42), deepChain),
			want: []want{{ClientCertUnknownCA, Likely, "has 2 intermediates below its root; nginx verifies 1 by default, Apache 0"}}},
		"nginx 495 page": {ev: ev(requested, sent, answer(400, nginx495), deepChain), want: []want{{ClientCertUnknownCA, Likely, ""}}},
		"and expired":    {ev: ev(requested, sent, alert(42), deepChain, expiredHere), want: []want{{ClientCertUnknownCA, Possible, ""}}},
		"apache's alert 80, one intermediate": {ev: ev(requested, sent, alert(80), func(e *evidence) { e.client.intermediates = 1 }),
			want: []want{{ClientCertUnknownCA, Likely, "Apache's mod_ssl answers so for a chain longer than SSLVerifyDepth"}}},
		"one intermediate":   {ev: ev(requested, sent, alert(42), func(e *evidence) { e.client.intermediates = 1 })},
		"alert 80, no chain": {ev: ev(requested, sent, alert(80))},
		"specific alert":     {ev: ev(requested, sent, alert(48), deepChain)},
	})
	checkRanked(t, map[string]rankCase{
		"nginx 495 page, deep chain": {ev: ev(requested, sent, answer(400, nginx495), deepChain), want: []want{
			{ClientCertUnknownCA, Likely, "2 intermediates"}, {ClientCertRejected, Possible, "a reason local checks cannot see"}}},
	})
	f := diagnosis(ev(requested, sent, alert(48), deepChain))
	if !strings.Contains(strings.Join(f.Hints, "\n"), "the chain has 2 intermediates") {
		t.Errorf("alert 48 with a deep chain: no depth hint in %q", f.Hints)
	}
}

func TestSignatureMismatchRule(t *testing.T) {
	rsaOnly := func(e *evidence) {
		e.certReq.schemes = []tls.SignatureScheme{tls.PSSWithSHA256, tls.PKCS1WithSHA256}
		e.client.keyFits = false
		e.client.fitting = []string{"identity `joe-rsa` is issued by CN=Test Root, which this server accepts: try it"}
	}
	checkRule(t, signatureMismatchRule{}, map[string]ruleCase{
		"ec key, rsa only": {ev: ev(requested, sent, rsaOnly),
			want: []want{{NoSharedCipher, Certain, "allows client signatures with rsa_pss_rsae_sha256, rsa_pkcs1_sha256; the ec-p256 key of identity `joe` can make none of them"}}},
		"key fits":           {ev: ev(requested, sent)},
		"nothing sent":       {ev: ev(requested, chosen, rsaOnly)},
		"handshake finished": {ev: ev(tls13Done, requested, sent, rsaOnly, closedConn)},
	})
	f := diagnosis(ev(requested, sent, rsaOnly))
	if f.Category != NoSharedCipher || !strings.Contains(f.Summary, "RSA keys only") || !strings.Contains(f.Hints[0], "joe-rsa") ||
		!strings.Contains(f.Hints[1], "--key rsa-2048") {
		t.Errorf("%s: %q %q", f.Category, f.Summary, f.Hints)
	}
}

func TestSNIRules(t *testing.T) {
	named := func(sni, host string) evOption {
		return func(e *evidence) { e.serverName, e.req.host = sni, host }
	}
	checkRule(t, sniInternalErrorRule{}, map[string]ruleCase{
		"no sni (ip address)": {ev: ev(alert(80), named("127.0.0.1", "127.0.0.1")),
			want: []want{{TLSError, Likely, "no server name (SNI) was sent"}}},
		"servername override": {ev: ev(alert(80), named("api.example", "127.0.0.1")),
			want: []want{{TLSError, Possible, "(\"api.example\") is not the URL's host"}}},
		"the url's own name": {ev: ev(alert(80), named("api.example", "api.example"))},
		"other alert":        {ev: ev(alert(40), named("127.0.0.1", "127.0.0.1"))},
	})
	f := diagnosis(ev(alert(112), named("api.example", "api.example")))
	hints := strings.Join(f.Hints, "\n")
	if !strings.Contains(hints, "--servername NAME") || !strings.Contains(hints, "--connect-to 127.0.0.1:8443") {
		t.Errorf("alert 112 hints: %q", f.Hints)
	}
}

// TestMissingClientIntermediate: the hints name the workspace CA that
// completes a chain sent without its intermediate, the command that
// attaches it, and the identity that already carries it; the summary names
// the identity's actual issuer.
func TestMissingClientIntermediate(t *testing.T) {
	p := testPKI()
	inter := &x509.Certificate{Raw: []byte{1}, RawSubject: p.root.Cert.RawSubject, Subject: p.root.Cert.Subject}
	missing := func(e *evidence) {
		e.client.missingIssuer, e.client.completingCA, e.client.carriedBy = inter, "partner-inter", "joe-full"
		e.client.name = "joe"
	}
	f := diagnosis(ev(requested, sent, alert(48), missing))
	hints := strings.Join(f.Hints, "\n")
	for _, want := range []string{"your CA `partner-inter`", "mtlswb chain add joe partner-inter", "identity `joe-full` already carries it",
		"trust your issuing CA CN=Test Root"} {
		if !strings.Contains(hints, want) {
			t.Errorf("hints lack %q:\n%s", want, hints)
		}
	}
	if strings.Contains(hints, "if the issuer is an intermediate CA") {
		t.Errorf("the generic intermediate hint stays although the CA is known:\n%s", hints)
	}
}

// TestVerdictNamesActualIssuer: an identity sent with its intermediate is
// said to be issued by the intermediate, not by the root above it.
func TestVerdictNamesActualIssuer(t *testing.T) {
	p := testPKI()
	inter, err := p.root.Issue(pki.Spec{CN: "Test Intermediate", IsCA: true})
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := inter.Issue(pki.Spec{CN: "joe", Client: true})
	if err != nil {
		t.Fatal(err)
	}
	a := &attempt{now: testNow}
	cr := &certRequest{acceptable: [][]byte{p.rogue.Cert.RawSubject}, version: tls.VersionTLS13}
	v := a.verdict("joe", []*x509.Certificate{leaf.Cert, inter.Cert}, cr)
	if want := "issued by CN=Test Intermediate and sent with its chain up to CN=Test Root"; v.Accepted || !strings.Contains(v.Reason, want) {
		t.Errorf("verdict %+v, want a reason saying %q", v, want)
	}
}
