package workspace

import (
	"fmt"

	"github.com/mtlswb/mtlswb/tlsengine"
)

// # Auto-selection

// AutoOutcome is what ChooseIdentity decided.
type AutoOutcome string

const (
	AutoChosen       AutoOutcome = "chosen"
	AutoAmbiguous    AutoOutcome = "ambiguous"
	AutoNoneFits     AutoOutcome = "none-fits"
	AutoNotRequested AutoOutcome = "not-requested"
	// AutoProbeFailed: the probe stopped before the server asked for a
	// certificate; the probe's own report says why.
	AutoProbeFailed AutoOutcome = "probe-failed"
)

// AutoChoice is the result of `--identity auto`: the server's request, every
// candidate with its verdict, and the decision.
type AutoChoice struct {
	Outcome          AutoOutcome                 `json:"outcome"`
	Chosen           string                      `json:"chosen,omitempty"`
	Summary          string                      `json:"summary"`
	AcceptableCAs    []string                    `json:"acceptable_cas"`
	SignatureSchemes []string                    `json:"signature_schemes"`
	Candidates       []tlsengine.IdentityVerdict `json:"candidates"`
}

// ChooseIdentity decides from a probe made with every workspace identity as
// a candidate (Resolve with no identity does that). The engine's verdicts
// already check the issuer against the server's acceptable CAs, validity,
// the clientAuth EKU and the key type against the signature schemes; this
// only refuses to guess when more than one fits.
func ChooseIdentity(rep tlsengine.Report) AutoChoice {
	ch := AutoChoice{
		AcceptableCAs:    rep.TLS.AcceptableCAs,
		SignatureSchemes: rep.TLS.SignatureSchemes,
		Candidates:       rep.Identities,
	}
	if ch.Candidates == nil {
		ch.Candidates = []tlsengine.IdentityVerdict{}
	}
	if !rep.TLS.ClientCertRequested {
		if rep.OK {
			ch.Outcome = AutoNotRequested
			ch.Summary = "the server does not ask for a client certificate: no identity is needed"
			return ch
		}
		ch.Outcome = AutoProbeFailed
		ch.Summary = "the probe failed before the server asked for a client certificate"
		if rep.Failure != nil {
			ch.Summary += ": " + rep.Failure.Summary
		}
		return ch
	}
	var fits []string
	for _, v := range rep.Identities {
		if v.Accepted {
			fits = append(fits, v.Name)
		}
	}
	switch {
	case len(fits) == 1:
		ch.Outcome, ch.Chosen = AutoChosen, fits[0]
		ch.Summary = fmt.Sprintf("chose identity `%s`: the only one the server's certificate request accepts", fits[0])
	case len(fits) > 1:
		ch.Outcome = AutoAmbiguous
		why := ""
		if len(rep.TLS.AcceptableCAs) == 0 {
			why = " (the server lists no acceptable CAs, so it cannot tell them apart)"
		}
		ch.Summary = fmt.Sprintf("%d identities fit%s: %s; choose one with --identity NAME", len(fits), why, quoteNames(fits))
	case len(rep.Identities) == 0:
		ch.Outcome = AutoNoneFits
		ch.Summary = "the workspace holds no identity to offer; import or issue one"
	default:
		ch.Outcome = AutoNoneFits
		ch.Summary = fmt.Sprintf("none of the %d identities fits the server's certificate request", len(rep.Identities))
	}
	return ch
}
