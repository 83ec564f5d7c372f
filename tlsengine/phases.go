package tlsengine

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// An attempt runs these phases in order. A failure reports the phase it
// stopped in; each connection phase times itself into its Timing field.
//
//	phase       Phase           timing        code
//	resolve     PhaseDNS        dns_ms        resolve (skipped for an IP address)
//	connect     PhaseConnect    connect_ms    dialDirect; dialProxy adds the proxy's CONNECT
//	preamble    PhasePreamble   starttls_ms   preamble: the protocol's, if it has one
//	handshake   PhaseHandshake  tls_ms        handshake
//	late alert  PhaseHandshake  -             awaitVerdict or lateAlert (latealert.go)
//	exchange    PhaseRequest,   exchange_ms   the protocol's exchange (HTTP times its
//	            PhaseResponse                 request_sent_ms and ttfb_ms instead)
//
// The first four are the connection phases (connection, reached through
// open or dialTLS): every connection runs them, and an exchange may open
// several (HTTP follows a redirect to another host). They depend on the
// protocol only for the preamble it runs and the ALPN names it offers.

// run makes the attempt once the request is valid: the connection phases
// and the verdict wait for a probe; the protocol's exchange, which opens its
// connections itself, otherwise; and for an attempt that failed without the
// server answering (in HTTP or in a refusal), the late-alert recovery.
func (a *attempt) run(ctx context.Context) (outcome, error) {
	var (
		out outcome
		err error
	)
	if a.req.Probe {
		err = a.probe(ctx)
	} else {
		out, err = a.tgt.proto.exchange(ctx, a)
		a.timeExchange()
	}
	if err != nil && !out.answered() && !refused(err) {
		err = a.lateAlert(err)
	}
	err = a.inOwnWords(ctx, err)
	if err != nil && errors.Is(ctx.Err(), context.Canceled) && !errors.Is(err, context.Canceled) {
		// The connection's deadline, set when ctx ended, turned the
		// caller's cancel into a timeout.
		err = fmt.Errorf("%w: %w", context.Canceled, err)
	}
	return out, err
}

// timeExchange times a protocol's exchange from the end of the last
// handshake. HTTP times its request and first byte itself.
func (a *attempt) timeExchange() {
	if _, ok := a.tgt.proto.(httpProtocol); ok {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.handshakeEnd.IsZero() {
		a.timing.ExchangeMs = ms(time.Since(a.handshakeEnd))
	}
}

// enter starts phase p: until the next phase, a failure without a phase of
// its own is reported in p. It returns the phase's start for leave.
func (a *attempt) enter(p Phase) time.Time {
	a.setPhase(p)
	return time.Now()
}

// leave ends phase p, begun at t0: its duration becomes p's timing and err,
// if any, is tagged with p (and via, "proxy" when the connection concerns
// the proxy rather than the target). A pair of calls rather than a function
// taking a closure, so that the phases of every connection cost no
// allocation.
func (a *attempt) leave(p Phase, via string, t0 time.Time, err error) error {
	d := ms(time.Since(t0))
	a.mu.Lock()
	if slot := a.timing.slot(p); slot != nil {
		*slot = d
	}
	a.mu.Unlock()
	if err == nil {
		return nil
	}
	if pe := (*phaseError)(nil); !errors.As(err, &pe) {
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
