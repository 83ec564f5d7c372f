package tlsengine

import (
	"context"
	"time"
)

// Reach runs the part of an attempt that needs no client certificate: DNS
// and the TCP connection (through the proxy, when one is set), which it
// then closes. It returns the Report Run would give when that part fails,
// and nil when the server can be reached or req is invalid (Run reports
// that). A front end calls it before asking for a passphrase, so a request
// that fails before the handshake never asks for one.
func Reach(ctx context.Context, req Request) *Report {
	start := time.Now()
	tgt, err := req.check()
	if err != nil {
		return nil
	}
	runCtx, cancel := context.WithTimeout(ctx, req.timeout())
	defer cancel()
	a := newAttempt(req, tgt, start)
	c, err := a.dialTCP(runCtx, tgt.addr)
	if err == nil {
		c.Close()
		return nil
	}
	rep := newReport(req, tgt, start)
	a.fill(&rep)
	rep.Failure = a.diagnose(ctx, err, nil)
	finish(&rep, start)
	return &rep
}

// timeout is the request's time limit, the engine's default when unset.
func (r Request) timeout() time.Duration {
	if r.Timeout == 0 {
		return defaultTimeout
	}
	return r.Timeout
}
