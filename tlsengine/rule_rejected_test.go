package tlsengine

import (
	"strings"
	"testing"
)

const nginx495 = "<html><head><title>400 The SSL certificate error</title></head></html>"

func TestRejectedWithoutReasonRule(t *testing.T) {
	checkRule(t, rejectedWithoutReasonRule{}, map[string]ruleCase{
		"42, clean":              {ev: ev(requested, sent, alert(42)), want: []want{{ClientCertRejected, Certain, "alert 42 (bad_certificate); local checks of identity `joe` find nothing wrong"}}},
		"46, clean":              {ev: ev(requested, sent, alert(46)), want: []want{{ClientCertRejected, Certain, "certificate_unknown"}}},
		"49, clean":              {ev: ev(requested, sent, alert(49)), want: []want{{ClientCertRejected, Certain, "access_denied"}}},
		"40 after a certificate": {ev: ev(requested, sent, alert(40)), want: []want{{ClientCertRejected, Certain, "handshake_failure"}}},
		"42, nothing sent":       {ev: ev(requested, chosen, alert(42)), want: []want{{ClientCertRequired, Certain, "no client certificate was sent"}}},
		"42, a local check fails": {ev: ev(requested, sent, alert(42), expiredHere),
			want: []want{{ClientCertRejected, Possible, "a reason local checks cannot see"}}},
		"nginx 495 page": {ev: ev(requested, sent, answer(400, nginx495)), want: []want{{ClientCertRejected, Certain, "nginx's page"}}},
		"close after tls13 auth": {ev: ev(tls13Done, requested, sent, closedConn),
			want: []want{{ClientCertRejected, Likely, "closed the connection without an alert"}}},
		"close after tls13 without a request": {ev: ev(tls13Done, sent, closedConn)},
		"close after session tickets":         {ev: ev(tls13Done, requested, sent, closedConn, func(e *evidence) { e.ticketsReceived = true })},
		"close after tls12":                   {ev: ev(requested, sent, closedConn, func(e *evidence) { e.handshakeDone = true })},
		"specific alert":                      {ev: ev(requested, sent, alert(48))},
		"plain 400":                           {ev: ev(requested, sent, answer(400, "bad request"))},
	})
}

func TestLocalCheckRules(t *testing.T) {
	checkRule(t, localNoClientAuthRule, map[string]ruleCase{
		"fails": {ev: ev(requested, sent, alert(42), noClientAuthEKU),
			want: []want{{ClientCertWrongUsage, Likely, "local check: the extended key usage of identity `joe` (serverAuth) does not allow clientAuth"}}},
		"passes":           {ev: ev(requested, sent, alert(42))},
		"no rejection":     {ev: ev(requested, sent, alert(48), noClientAuthEKU)},
		"nothing was sent": {ev: ev(requested, chosen, alert(42), noClientAuthEKU)},
	})
	checkRule(t, localValidityRule, map[string]ruleCase{
		"fails":  {ev: ev(requested, sent, alert(46), expiredHere), want: []want{{ClientCertExpired, Likely, "local check: identity `joe` expired at"}}},
		"passes": {ev: ev(requested, sent, alert(46))},
	})
	checkRule(t, localIssuerNotListedRule, map[string]ruleCase{
		"fails":  {ev: ev(requested, sent, alert(42), issuerUnlisted), want: []want{{ClientCertUnknownCA, Likely, "issued by CN=Test Root, which the server's certificate request does not list"}}},
		"passes": {ev: ev(requested, sent, alert(42))},
	})
}

// TestRejectionRanking: a rejection without a reason ranks the local
// findings first, in the order wrong usage, validity, issuer.
func TestRejectionRanking(t *testing.T) {
	checkRanked(t, map[string]rankCase{
		"clean": {ev: ev(requested, sent, alert(42)), want: []want{{ClientCertRejected, Certain, ""}}},
		"every check fails": {ev: ev(requested, sent, alert(42), expiredHere, noClientAuthEKU, issuerUnlisted), want: []want{
			{ClientCertWrongUsage, Likely, ""}, {ClientCertExpired, Likely, ""}, {ClientCertUnknownCA, Likely, ""},
			{ClientCertRejected, Possible, ""}}},
		// The shape issue 9 builds on: a bare close after a TLS 1.3
		// handshake is likely a rejection, possibly something else.
		"close after tls13 auth": {ev: ev(tls13Done, requested, sent, closedConn), want: []want{
			{ClientCertRejected, Likely, "right after a TLS 1.3 handshake"}, {ConnectionReset, Possible, "without an alert"}}},
		"close after tls13 auth, nothing sent": {ev: ev(tls13Done, requested, closedConn), want: []want{
			{ClientCertRequired, Likely, "no client certificate was sent"}, {ConnectionReset, Possible, ""}}},
		"close after tls13 auth, expired": {ev: ev(tls13Done, requested, sent, closedConn, expiredHere), want: []want{
			{ClientCertExpired, Likely, "local check"}, {ClientCertRejected, Possible, ""}, {ConnectionReset, Possible, ""}}},
		"nginx 495, wrong usage": {ev: ev(requested, sent, answer(400, nginx495), noClientAuthEKU), want: []want{
			{ClientCertWrongUsage, Likely, "nginx's page"}, {ClientCertRejected, Possible, ""}}},
	})
}

func TestRejectionExplanation(t *testing.T) {
	f := diagnosis(ev(tls13Done, requested, sent, closedConn))
	if f.Phase != PhaseHandshake || !strings.HasPrefix(f.Detail, "the server closed the connection right after the handshake without a reason") {
		t.Errorf("phase %s, detail %q", f.Phase, f.Detail)
	}
	if f.Summary != "the server rejected identity `joe`" || !strings.Contains(f.Hints[0], "local checks find nothing wrong") {
		t.Errorf("summary %q, hints %q", f.Summary, f.Hints)
	}
	f = diagnosis(ev(requested, sent, answer(400, nginx495), expiredHere))
	if f.Phase != PhaseResponse || !strings.Contains(f.Detail, "the reason is only in nginx's error log") || f.Summary != "the server rejected identity `joe`: it expired at 2026-02-26T12:00:00Z (3 days ago)" {
		t.Errorf("nginx 495: phase %s, summary %q, detail %q", f.Phase, f.Summary, f.Detail)
	}
}
