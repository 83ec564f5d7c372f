package tlsengine

import (
	"fmt"
	"strings"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// The alert rules read a TLS alert the server sent: each alert with a
// specific meaning has its rule. Alerts that refuse the client certificate
// without saying why (42, 46, 49, and 40 after a certificate was sent) are
// rejections (rule_rejected.go); any other alert falls to unexplainedRule.

// alertIs reports whether the server sent alert n.
func alertIs(ev *evidence, n uint8) bool { return ev.alert != nil && ev.alert.number == n }

// alertEvidence is what the server did, in one sentence for a Cause.
func alertEvidence(ev *evidence) string {
	n := ev.alert.number
	s := fmt.Sprintf("the server sent TLS alert %d (%s)", n, AlertName(n))
	if ev.alert.afterHandshake {
		s += " after the handshake"
	}
	return s
}

// alertSaid is the same for a Failure's detail, with why an alert after
// the handshake is no surprise.
func alertSaid(ev *evidence) string {
	if ev.alert.afterHandshake {
		return alertEvidence(ev) + " had completed: TLS 1.3 servers judge the client certificate then, so it arrives with the first read"
	}
	return alertEvidence(ev)
}

// alertClientCause is a client-certificate cause read from an alert.
func alertClientCause(ev *evidence, cat Category, conf Confidence) Cause {
	c := clientCause(ev, cat, alertSaid(ev))
	c.Confidence, c.Evidence, c.phase = conf, alertEvidence(ev), PhaseHandshake
	return c
}

// alertHandshakeFailureRule: handshake_failure (40) before a certificate
// was sent. After a certificate request it is OpenSSL's TLS 1.2 answer to a
// missing certificate; without one, the sides found no common parameters.
type alertHandshakeFailureRule struct{}

func (alertHandshakeFailureRule) Info() ruleInfo {
	return ruleInfo{Name: "alert-handshake-failure", Categories: []Category{ClientCertRequired, NoSharedCipher},
		Source: "RFC 5246 7.2.2 handshake_failure (40); OpenSSL sends it under TLS 1.2 for a missing required certificate"}
}

func (alertHandshakeFailureRule) Applies(ev *evidence) bool {
	return alertIs(ev, 40) && !(ev.certReq != nil && ev.client.sent)
}

func (alertHandshakeFailureRule) Propose(ev *evidence) []Cause {
	if ev.certReq != nil {
		c := alertClientCause(ev, ClientCertRequired, Likely)
		c.Evidence += ", after asking for a client certificate and receiving none"
		return []Cause{c}
	}
	c := noSharedCipher(ev)
	c.Confidence = Likely
	c.Evidence += " before asking for a client certificate"
	return []Cause{c}
}

// alertVerdictRule: an alert that names what is wrong with the client
// certificate. One rule per alert, registered with its category.
type alertVerdictRule struct {
	alert    uint8
	category Category
	source   string // "" for RFC 8446 6.2's definition of the alert
}

// alertCertificateRequiredRule: TLS 1.3's explicit "you sent no
// certificate".
var alertCertificateRequiredRule = alertVerdictRule{alert: 116, category: ClientCertRequired,
	source: "RFC 8446 4.4.2.4: a server that requires a certificate aborts with certificate_required (116) when none is sent"}

func (r alertVerdictRule) Info() ruleInfo {
	src := r.source
	if src == "" {
		src = fmt.Sprintf("RFC 8446 6.2 / RFC 5246 7.2.2: %s (%d) names the fault of the peer's certificate", AlertName(r.alert), r.alert)
	}
	return ruleInfo{Name: "alert-" + strings.ReplaceAll(AlertName(r.alert), "_", "-"), Categories: []Category{r.category}, Source: src}
}

func (r alertVerdictRule) Applies(ev *evidence) bool { return alertIs(ev, r.alert) }

func (r alertVerdictRule) Propose(ev *evidence) []Cause {
	return []Cause{alertClientCause(ev, r.category, Certain)}
}

// alertInsufficientSecurityRule: the server wants stronger parameters.
type alertInsufficientSecurityRule struct{}

func (alertInsufficientSecurityRule) Info() ruleInfo {
	return ruleInfo{Name: "alert-insufficient-security", Categories: []Category{NoSharedCipher},
		Source: "RFC 8446 6.2 insufficient_security (71): the server requires parameters more secure than those offered"}
}

func (alertInsufficientSecurityRule) Applies(ev *evidence) bool { return alertIs(ev, 71) }

func (alertInsufficientSecurityRule) Propose(ev *evidence) []Cause {
	return []Cause{noSharedCipher(ev)}
}

// noSharedCipher explains an alert that says the sides share no parameters.
func noSharedCipher(ev *evidence) Cause {
	return Cause{Category: NoSharedCipher, Confidence: Certain, Evidence: alertEvidence(ev), phase: PhaseHandshake,
		summary: "client and server could not agree on how to secure the connection (cipher suite, key exchange group or signature algorithm)",
		detail:  alertSaid(ev),
		hints: []string{"the server may demand algorithms Go does not offer, or only legacy ones: check its cipher configuration",
			"you allowed " + versionRange(ev.req.minVersion, ev.req.maxVersion) + ": the server may need another version"}}
}

// alertHintRule: an alert no category names, but whose cause is known
// well enough for a specific hint; registered once per alert.
type alertHintRule struct {
	alert  uint8
	source string
	hint   func(ev *evidence) string
}

var (
	// The server knows no site by the name sent.
	alertUnrecognizedNameRule = alertHintRule{alert: 112,
		source: "RFC 6066 3: unrecognized_name (112) when the server does not recognize the server_name",
		hint: func(ev *evidence) string {
			return "the server does not know the server name (SNI) " + safetext.Line(ev.serverName) + ": use the name it serves"
		}}
	// No protocol offered by ALPN suits the server.
	alertNoApplicationProtocolRule = alertHintRule{alert: 120,
		source: "RFC 7301 3.2: no_application_protocol (120) when the server supports none of the client's ALPN protocols",
		hint: func(*evidence) string {
			return "the server supports neither h2 nor http/1.1 via ALPN: it may serve another protocol"
		}}
)

func (r alertHintRule) Info() ruleInfo {
	return ruleInfo{Name: "alert-" + strings.ReplaceAll(AlertName(r.alert), "_", "-"), Categories: []Category{TLSError}, Source: r.source}
}

func (r alertHintRule) Applies(ev *evidence) bool { return alertIs(ev, r.alert) }

func (r alertHintRule) Propose(ev *evidence) []Cause {
	c := alertAborted(ev)
	c.hints = []string{r.hint(ev)}
	return []Cause{c}
}

// alertAborted is the tls-error cause of an alert no category names.
func alertAborted(ev *evidence) Cause {
	n := ev.alert.number
	return Cause{Category: TLSError, Confidence: Certain, Evidence: alertEvidence(ev), phase: PhaseHandshake,
		summary: fmt.Sprintf("the server aborted the handshake with alert %d (%s)", n, AlertName(n)),
		detail:  alertSaid(ev),
		hints:   []string{"check the server's logs for why it sent this alert"}}
}
