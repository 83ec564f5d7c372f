package tlsengine

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// Diagnosis runs in three steps: attempt.evidence collects what the attempt
// saw once (evidence.go); small named rules, one idea each (rule_*.go),
// propose causes with a confidence and the evidence for them; the ranker
// orders them and the best gives the Failure its category and explanation
// (rank.go).

// diagnose turns what ended an attempt into a Failure: the error, or the
// HTTP answer of 400 or more h. When the evidence leaves the cause open,
// the local checks that cost fetches or a second handshake run first
// (gatherMore): the identity's revocation, a TLS 1.2 retry.
func (a *attempt) diagnose(parent context.Context, err error, h *HTTPInfo) *Failure {
	ev := a.evidence(parent, err, h)
	a.gatherMore(parent, ev)
	return diagnosis(ev)
}

// bodyReason is what an error body says, in one line: the message field of
// a JSON error (a JSON body's first line is only "{"), else the first
// non-empty line of text.
func bodyReason(h *HTTPInfo) string {
	if h.BodyBinary || h.BodyPreview == "" {
		return ""
	}
	var doc map[string]any
	if json.Unmarshal(h.Body, &doc) == nil {
		for _, k := range []string{"error_description", "message", "reason", "error", "detail", "title"} {
			if v, ok := doc[k].(string); ok && strings.TrimSpace(v) != "" {
				return clip(safetext.Line(strings.TrimSpace(v)), 200)
			}
		}
	}
	for _, line := range strings.Split(h.BodyPreview, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			return clip(safetext.Line(line), 200)
		}
	}
	return ""
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
