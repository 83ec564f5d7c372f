package tlsengine

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// An attempt runs these phases in order; a failure reports the phase it
// stopped in, and each phase times itself into its own Timing field.
//
//	resolve    PhaseDNS        dns_ms        dialDirect (skipped for an IP address)
//	connect    PhaseConnect    connect_ms    dialDirect, dialProxy (the proxy's CONNECT too)
//	preamble   PhasePreamble   starttls_ms   the protocol's preamble, if it has one
//	handshake  PhaseHandshake  tls_ms        handshake
//	late alert PhaseHandshake  -             awaitVerdict or lateAlert (latealert.go)
//	exchange   PhaseRequest,   request_sent_ms, ttfb_ms (HTTP)
//	           PhaseResponse                 the protocol's exchange
//
// The first four are the connection phases (open, dialTLS): every
// connection runs them, and an exchange may open several (HTTP follows a
// redirect to another host). Nothing in them depends on the protocol but
// the preamble it runs and the ALPN names it offers.

// run makes the attempt once the request is valid: the connection phases
// and the verdict wait for a probe; the protocol's exchange, which opens its
// connections itself, otherwise; and for an exchange that failed without an
// answer, the late-alert recovery.
func (a *attempt) run(ctx context.Context) (outcome, error) {
	var (
		out outcome
		err error
	)
	if a.req.Probe {
		err = a.probe(ctx)
	} else {
		out, err = a.tgt.proto.exchange(ctx, a)
	}
	if err != nil && !out.answered() {
		err = a.lateAlert(err)
	}
	if err != nil && errors.Is(ctx.Err(), context.Canceled) && !errors.Is(err, context.Canceled) {
		// The connection's deadline, set when ctx ended, turned the
		// caller's cancel into a timeout.
		err = fmt.Errorf("%w: %w", context.Canceled, err)
	}
	return out, err
}

// step runs one phase: while f runs the attempt is in phase p (which a
// failure without a phase of its own reports), f's duration becomes p's
// timing, and f's error is tagged with p (and via, "proxy" when the
// connection concerns the proxy rather than the target).
func (a *attempt) step(p Phase, via string, f func() error) error {
	a.setPhase(p)
	t0 := time.Now()
	err := f()
	d := ms(time.Since(t0))
	a.mu.Lock()
	if slot := a.timing.slot(p); slot != nil {
		*slot = d
	}
	a.mu.Unlock()
	var pe *phaseError
	if err != nil && !errors.As(err, &pe) {
		err = &phaseError{phase: p, via: via, err: err}
	}
	return err
}

// slot is the Timing field of a connection phase. The exchange has none: it
// times itself (HTTP splits it into request sent and time to first byte).
func (t *Timing) slot(p Phase) *float64 {
	switch p {
	case PhaseDNS:
		return &t.DNSMs
	case PhaseConnect:
		return &t.ConnectMs
	case PhasePreamble:
		return &t.PreambleMs
	case PhaseHandshake:
		return &t.TLSMs
	}
	return nil
}
