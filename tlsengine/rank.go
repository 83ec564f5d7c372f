package tlsengine

import (
	"sort"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// A rule encodes one thing a failure can mean: a TLS alert, a server's own
// error page, a local check of the identity sent. It reads only the
// evidence, and proposes causes with a confidence and the evidence for them
// in one sentence. A new server quirk is a new rule, not a new branch.
//
// To add one: a small type with these three methods in a rule_*.go file, a
// table test beside it (evidence in, causes out), and one line in rules.
type rule interface {
	Info() ruleInfo
	// Applies reports whether the rule has anything to say about ev.
	Applies(ev *evidence) bool
	// Propose returns the rule's causes for ev, at least one when Applies.
	Propose(ev *evidence) []Cause
}

// ruleInfo is a rule's metadata, as zlint keeps it for its lints.
type ruleInfo struct {
	Name string // kebab-case, unique
	// Categories lists every category the rule may propose.
	Categories []Category
	// Source is the RFC section or the server behaviour the rule encodes.
	Source string
}

// rules are every rule but the fallback. Causes of equal confidence rank in
// this order, so a rule that reads a more specific signal comes first.
var rules = []rule{
	canceledRule{},
	proxyRefusedRule{},
	redirectRule{},
	dnsRule{},
	serverValidityRule{},
	serverHostnameRule{},
	serverChainIncompleteRule{},
	serverUntrustedRule{},
	alertCertificateRequiredRule,
	alertHandshakeFailureRule{},
	alertVerdictRule{alert: 43, category: ClientCertWrongUsage},
	alertVerdictRule{alert: 44, category: ClientCertRevoked},
	alertVerdictRule{alert: 45, category: ClientCertExpired},
	alertVerdictRule{alert: 48, category: ClientCertUnknownCA},
	retryVerdictRule{},
	signatureMismatchRule{},
	alertProtocolVersionRule{},
	alertInsufficientSecurityRule{},
	alertUnrecognizedNameRule,
	chainDepthRule{},
	sniInternalErrorRule{},
	alertNoApplicationProtocolRule,
	nginxNoCertificateRule{},
	http496Rule{},
	postHandshakeAuthRule{},
	optionalCertNotSentRule{},
	localRevokedRule{},
	localNoClientAuthRule,
	localValidityRule,
	localIssuerNotListedRule,
	rejectedWithoutReasonRule{},
	notTLSRule{},
	timeoutRule{},
	refusedRule{},
	unreachableRule{},
	closedAfterTLS13Rule{},
	closedRule{},
	noSharedVersionRule{},
	httpUnauthorizedRule,
	httpForbiddenRule,
}

// fallback explains what no rule explains, so every failure has a cause.
var fallback rule = unexplainedRule{}

// causesFor runs the rules on ev and ranks what they propose: by confidence,
// then by the rules' order. A category proposed twice keeps its best rank.
func causesFor(ev *evidence, rs []rule) []Cause {
	type ranked struct {
		Cause
		order int
	}
	var all []ranked
	for i, r := range rs {
		if !r.Applies(ev) {
			continue
		}
		for _, c := range r.Propose(ev) {
			c.rule = r.Info().Name
			all = append(all, ranked{c, i})
		}
	}
	if len(all) == 0 {
		for _, c := range fallback.Propose(ev) {
			c.rule = fallback.Info().Name
			all = append(all, ranked{c, len(rs)})
		}
	}
	sort.SliceStable(all, func(i, j int) bool {
		if ci, cj := all[i].Confidence.rank(), all[j].Confidence.rank(); ci != cj {
			return ci < cj
		}
		return all[i].order < all[j].order
	})
	out := make([]Cause, 0, len(all))
	seen := map[Category]bool{}
	for _, c := range all {
		if !seen[c.Category] {
			seen[c.Category] = true
			out = append(out, c.Cause)
		}
	}
	return out
}

// diagnosis turns the evidence into a Failure: the best-ranked cause gives
// the category and the explanation, and every cause is listed.
func diagnosis(ev *evidence) *Failure {
	causes := causesFor(ev, rules)
	top := causes[0]
	f := &Failure{Phase: ev.phase, Category: top.Category, Summary: top.summary, Detail: top.detail, Hints: top.hints, Causes: causes}
	if top.phase != "" {
		f.Phase = top.phase
	}
	if ev.alert != nil {
		f.Alert = int(ev.alert.number)
	}
	if ev.err != nil {
		raw := safetext.Line(ev.err.Error())
		if f.Detail == "" {
			f.Detail = "error: " + raw
		} else {
			f.Detail += " (error: " + raw + ")"
		}
	}
	return f
}
