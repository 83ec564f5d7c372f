package tlsengine

import (
	"errors"
	"strings"
	"testing"
)

// fakeRule proposes fixed causes whenever it applies.
type fakeRule struct {
	name   string
	causes []Cause
}

func (r fakeRule) Info() ruleInfo {
	return ruleInfo{Name: r.name, Categories: []Category{TLSError}, Source: "test"}
}
func (fakeRule) Applies(*evidence) bool      { return true }
func (r fakeRule) Propose(*evidence) []Cause { return r.causes }

func TestCausesForRanks(t *testing.T) {
	first := fakeRule{name: "first", causes: []Cause{
		{Category: ClientCertRejected, Confidence: Possible},
		{Category: ConnectionReset, Confidence: Likely},
	}}
	second := fakeRule{name: "second", causes: []Cause{
		{Category: ClientCertExpired, Confidence: Likely},
		{Category: ClientCertRejected, Confidence: Certain},
	}}
	got := causesFor(ev(), []rule{first, second})
	checkCauses(t, got, []want{
		{cat: ClientCertRejected, conf: Certain}, // surest first, and only once
		{cat: ConnectionReset, conf: Likely},     // equal confidence: rule order
		{cat: ClientCertExpired, conf: Likely},
	})
	if got[0].rule != "second" || got[1].rule != "first" {
		t.Errorf("rule names not recorded: %q, %q", got[0].rule, got[1].rule)
	}
}

func TestCausesForFallsBack(t *testing.T) {
	got := causesFor(ev(phase(PhaseConnect)), nil)
	checkCauses(t, got, []want{{cat: ConnectionRefused, conf: Certain, evidence: "connect phase failed"}})
	if got[0].rule != "unexplained" {
		t.Errorf("fallback cause from rule %q", got[0].rule)
	}
}

func TestDiagnosisBuildsFailure(t *testing.T) {
	cases := map[string]struct {
		ev         *evidence
		phase      Phase
		alert      int
		detailHas  string
		detailNone string
	}{
		"error appended to detail": {ev: ev(alert(48), sent, requested), phase: PhaseHandshake, alert: 48,
			detailHas: "alert 48 (unknown_ca) (error: test error)"},
		"error alone as detail": {ev: ev(func(e *evidence) { e.err = errors.New("boom\x1b[2J"); e.phase = PhaseDNS }),
			phase: PhaseDNS, detailHas: "error: boom^[[2J", detailNone: "\x1b"},
		"cause phase wins": {ev: ev(phase(PhaseResponse), func(e *evidence) { e.proxy = &ProxyError{Proxy: "p:1", Status: "403"} }),
			phase: PhaseConnect},
		"http answer has no error": {ev: ev(answer(500, "oops")), phase: PhaseResponse,
			detailHas: "answered HTTP 500: oops", detailNone: "error:"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			f := diagnosis(c.ev)
			if f.Phase != c.phase || f.Alert != c.alert {
				t.Errorf("phase %s alert %d, want %s %d", f.Phase, f.Alert, c.phase, c.alert)
			}
			if !strings.Contains(f.Detail, c.detailHas) || (c.detailNone != "" && strings.Contains(f.Detail, c.detailNone)) {
				t.Errorf("detail %q: want %q, not %q", f.Detail, c.detailHas, c.detailNone)
			}
		})
	}
}
