package tlsengine

import "strings"

// TimingRow is one phase of an attempt as a waterfall shows it.
type TimingRow struct {
	Name string
	Ms   float64
	// Ran is false for a phase the attempt never reached: it shows as
	// "—", never as a time (a handshake that failed has no transfer).
	Ran bool
}

// phaseRank orders the phases an attempt goes through.
var phaseRank = map[Phase]int{
	PhaseSetup: 0, PhaseDNS: 1, PhaseConnect: 2, PhasePreamble: 3,
	PhaseHandshake: 4, PhaseRequest: 5, PhaseResponse: 6,
}

// TimingRows lists the report's phases in order, for the CLI and the TUI
// alike: STARTTLS only for a protocol that has a preamble, and after the
// handshake HTTP's request sent, server wait and transfer, or another
// protocol's one exchange. The rows' times add up to Timing.TotalMs.
func (r *Report) TimingRows() []TimingRow {
	t := r.Timing
	reached := phaseRank[PhaseResponse]
	if r.Failure != nil {
		reached = phaseRank[r.Failure.Phase]
	}
	if r.Request.Probe {
		reached = min(reached, phaseRank[PhaseHandshake])
	}
	ran := func(ms float64, p Phase) bool { return ms > 0 || phaseRank[p] <= reached }
	rows := []TimingRow{
		{"DNS lookup", t.DNSMs, t.DNSMs > 0}, // an IP literal needs none
		{"TCP connect", t.ConnectMs, ran(t.ConnectMs, PhaseConnect)},
	}
	if t.PreambleMs > 0 || (r.Failure != nil && r.Failure.Phase == PhasePreamble) {
		rows = append(rows, TimingRow{"STARTTLS", t.PreambleMs, t.PreambleMs > 0})
	}
	rows = append(rows, TimingRow{"TLS handshake", t.TLSMs, ran(t.TLSMs, PhaseHandshake)})
	if !r.spokeHTTP() {
		if !r.Request.Probe {
			rows = append(rows, TimingRow{"Exchange", t.ExchangeMs, t.ExchangeMs > 0})
		}
		return rows
	}
	rows = append(rows,
		TimingRow{"Request sent", t.RequestSentMs, ran(t.RequestSentMs, PhaseRequest)},
		TimingRow{"Server wait", t.TTFBMs, t.TTFBMs > 0 || r.HTTP != nil})
	sum := 0.0
	for _, row := range rows {
		sum += row.Ms
	}
	return append(rows, TimingRow{"Transfer", max(t.TotalMs-sum, 0), r.HTTP != nil})
}

// spokeHTTP says whether the exchange was HTTP's rather than another
// protocol's (timed as one exchange).
func (r *Report) spokeHTTP() bool {
	scheme, _, _ := strings.Cut(r.Request.URL, "://")
	scheme = strings.ToLower(scheme)
	return scheme == "http" || scheme == "https"
}
