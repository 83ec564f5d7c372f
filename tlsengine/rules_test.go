package tlsengine

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine/pki"
)

// The helpers here build evidence values directly, so that rule tests need
// no network: ev() is a failed handshake to 127.0.0.1:8443 with a
// Request's defaults, and each option changes one fact.

// testNow is the clock of rule tests; pki certificates are valid from an hour
// before they are made, so it must be the real time.
var testNow = time.Now().UTC().Truncate(time.Second)

type evOption func(*evidence)

func ev(opts ...evOption) *evidence {
	e := &evidence{
		err: errors.New("test error"), phase: PhaseHandshake, serverName: "127.0.0.1",
		req: requestFacts{target: "127.0.0.1:8443", limit: 10 * time.Second,
			minVersion: tls.VersionTLS12, maxVersion: tls.VersionTLS13, systemTrust: true, now: testNow},
		client: clientEvidence{who: "your client certificate", issuerListed: true, keyFits: true},
	}
	for _, o := range opts {
		o(e)
	}
	return e
}

func phase(p Phase) evOption { return func(e *evidence) { e.phase = p } }

// alert: the server sent alert n (after the handshake when TLS 1.3 was done).
func alert(n uint8) evOption {
	return func(e *evidence) { e.alert = &alertSeen{number: n, afterHandshake: e.handshakeDone} }
}

// tls13Done: the client's side of a TLS 1.3 handshake completed.
func tls13Done(e *evidence) { e.handshakeDone, e.version = true, tls.VersionTLS13 }

// requested: the server sent a CertificateRequest listing the test root.
func requested(e *evidence) {
	e.certReq = &certRequest{acceptable: [][]byte{testPKI().root.Cert.RawSubject}, version: tls.VersionTLS13}
}

// chosen: identity `joe` was chosen but not sent.
func chosen(e *evidence) {
	p := testPKI()
	e.client.chosen, e.client.who, e.client.clientAuth = true, "identity `joe`", true
	e.client.leaf, e.client.chain = p.joe.Cert, []*x509.Certificate{p.joe.Cert}
}

// sent: identity `joe` was chosen and sent.
func sent(e *evidence) { chosen(e); e.client.sent = true }

func expiredHere(e *evidence) { e.client.validity = "expired at 2026-02-26T12:00:00Z (3 days ago)" }
func noClientAuthEKU(e *evidence) {
	e.client.clientAuth = false
	e.client.leaf, e.client.chain = testPKI().serverOnly.Cert, []*x509.Certificate{testPKI().serverOnly.Cert}
}
func issuerUnlisted(e *evidence) { e.client.issuerListed = false }
func closedConn(e *evidence)     { e.closed = true }

func answer(status int, body string) evOption {
	return func(e *evidence) {
		e.err, e.phase = nil, PhaseResponse
		e.answer = &httpAnswer{status: status, body: []byte(body), reason: strings.TrimSpace(body)}
	}
}

type testCerts struct{ root, rogue, joe, serverOnly pki.Pair }

var (
	testPKIOnce sync.Once
	testPKIVal  testCerts
)

// testPKI is a root, a rogue root, a client `joe` under the root and a
// certificate for `joe` that allows serverAuth only.
func testPKI() testCerts {
	testPKIOnce.Do(func() {
		root, err := pki.NewRoot(pki.Spec{CN: "Test Root", IsCA: true})
		if err != nil {
			panic(err)
		}
		rogue, err := pki.NewRoot(pki.Spec{CN: "Rogue CA", IsCA: true})
		if err != nil {
			panic(err)
		}
		joe, err := root.Issue(pki.Spec{CN: "joe", Client: true})
		if err != nil {
			panic(err)
		}
		serverOnly, err := root.Issue(pki.Spec{CN: "joe", ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
		if err != nil {
			panic(err)
		}
		testPKIVal = testCerts{root: root, rogue: rogue, joe: joe, serverOnly: serverOnly}
	})
	return testPKIVal
}

// want is one expected cause: its category and confidence, and a fragment
// of its evidence sentence ("" checks nothing).
type want struct {
	cat      Category
	conf     Confidence
	evidence string
}

// ruleCase is evidence for one rule and the causes it must propose; no
// causes means the rule must not apply.
type ruleCase struct {
	ev   *evidence
	want []want
}

// checkRule runs one rule over its table.
func checkRule(t *testing.T, r rule, cases map[string]ruleCase) {
	t.Helper()
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Helper()
			applies := r.Applies(c.ev)
			if applies != (len(c.want) > 0) {
				t.Fatalf("%s: Applies = %v, want %v", r.Info().Name, applies, len(c.want) > 0)
			}
			if !applies {
				return
			}
			got := r.Propose(c.ev)
			checkCauses(t, got, c.want)
			for _, cause := range got {
				if !declares(r, cause.Category) {
					t.Errorf("%s proposed %s, which its Info does not declare", r.Info().Name, cause.Category)
				}
				if cause.summary == "" || cause.Evidence == "" {
					t.Errorf("%s proposed %s without a summary or evidence: %+v", r.Info().Name, cause.Category, cause)
				}
			}
		})
	}
}

// rankCase is evidence for the whole rule set and the ranked causes it must
// give.
type rankCase struct {
	ev   *evidence
	want []want
}

// checkRanked runs every rule over the table and checks the ranked causes
// and that the Failure takes the first one.
func checkRanked(t *testing.T, cases map[string]rankCase) {
	t.Helper()
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Helper()
			f := diagnosis(c.ev)
			checkCauses(t, f.Causes, c.want)
			if f.Category != f.Causes[0].Category || f.Summary != f.Causes[0].summary {
				t.Errorf("the Failure (%s: %q) is not its first cause (%s: %q)", f.Category, f.Summary, f.Causes[0].Category, f.Causes[0].summary)
			}
		})
	}
}

func checkCauses(t *testing.T, got []Cause, want []want) {
	t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(got); i++ {
		ok = got[i].Category == want[i].cat && got[i].Confidence == want[i].conf &&
			strings.Contains(got[i].Evidence, want[i].evidence)
	}
	if !ok {
		var b strings.Builder
		for _, c := range got {
			b.WriteString("\n  " + string(c.Category) + " " + string(c.Confidence) + " (" + c.rule + "): " + c.Evidence)
		}
		t.Errorf("causes:%s\nwant: %+v", b.String(), want)
	}
}

func declares(r rule, cat Category) bool {
	for _, c := range r.Info().Categories {
		if c == cat {
			return true
		}
	}
	return false
}

// TestRuleRegistry checks the metadata every rule must carry.
func TestRuleRegistry(t *testing.T) {
	known := map[Category]bool{}
	for _, c := range Categories {
		known[c] = true
	}
	names := map[string]bool{}
	for _, r := range append(append([]rule(nil), rules...), fallback) {
		info := r.Info()
		if info.Name == "" || info.Source == "" || len(info.Categories) == 0 {
			t.Errorf("rule %T has incomplete metadata: %+v", r, info)
		}
		if names[info.Name] {
			t.Errorf("two rules are named %q", info.Name)
		}
		names[info.Name] = true
		for _, c := range info.Categories {
			if !known[c] {
				t.Errorf("rule %s declares %q, which is not in Categories", info.Name, c)
			}
		}
	}
}
