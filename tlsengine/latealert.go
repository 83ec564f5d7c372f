package tlsengine

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// The late-alert read. In TLS 1.3 the client speaks last in the handshake,
// so a server judges the client certificate after the client considers the
// handshake done, and its rejection arrives as an alert on the first read.
// The phase has two forms, both protocol-blind:
//   - the verdict wait (awaitVerdict): an attempt with nothing to send after
//     the handshake (a probe, tls://) reads once to get the verdict;
//   - the recovery (lateAlert): an exchange that failed without the server
//     answering gets the alert its failure hides.
//
// An exchange gets no wait: the wait costs up to lateAlertWait, and its read
// would consume the application's first bytes; the alert comes with the
// exchange's own first read instead.

const (
	// lateAlertWait bounds how long a TLS 1.3 probe waits for the server's
	// verdict on the client certificate; lateAlertGrace is how long it keeps
	// waiting once the server has sent anything (its session tickets, which
	// servers send only after accepting the client's certificate).
	lateAlertWait  = 500 * time.Millisecond
	lateAlertGrace = 30 * time.Millisecond
)

// rawConn sits under the TLS connection. It keeps the first bytes the server
// sent (to show what a non-TLS server said); when armed, it shortens the read
// deadline once the server sends anything (see lateAlertGrace); and after the
// handshake it salvages what the server sent before a failed write (see
// Write).
type rawConn struct {
	net.Conn
	first   []byte
	armed   atomic.Bool
	salvage atomic.Bool
	readMu  sync.Mutex
	pending []byte // salvaged bytes, read before the socket
}

func (c *rawConn) Read(p []byte) (int, error) {
	c.readMu.Lock()
	defer c.readMu.Unlock()
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		return n, nil
	}
	n, err := c.Conn.Read(p)
	if n > 0 {
		if len(c.first) < 64 {
			c.first = append(c.first, p[:min(n, 64-len(c.first))]...)
		}
		if c.armed.CompareAndSwap(true, false) {
			_ = c.Conn.SetReadDeadline(time.Now().Add(lateAlertGrace))
		}
	}
	return n, err
}

// Write salvages unread bytes when a write fails because the server closed
// the connection. A TLS 1.3 server that rejects the client certificate sends
// an alert and closes at once; the request written right after the
// handshake then fails with a broken pipe, and the client closes the
// socket, alert unread, unless it is read here first. No read is attempted
// while another one is in progress: that reader gets the alert itself.
func (c *rawConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if err != nil && c.salvage.Load() && (errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET)) && c.readMu.TryLock() {
		_ = c.Conn.SetReadDeadline(time.Now().Add(lateAlertGrace))
		buf := make([]byte, 2048)
		for len(c.pending) < 64<<10 {
			m, rerr := c.Conn.Read(buf)
			c.pending = append(c.pending, buf[:m]...)
			if rerr != nil {
				break
			}
		}
		c.readMu.Unlock()
	}
	return n, err
}

// probe runs the connection phases to the target and the verdict wait: all
// of an attempt that sends nothing after the handshake.
func (a *attempt) probe(ctx context.Context) error {
	tc, err := a.open(ctx)
	if err != nil {
		return err
	}
	defer tc.Close()
	return a.awaitVerdict(ctx, tc)
}

// awaitVerdict reads once after a TLS 1.3 handshake in which the server asked
// for a certificate. A read that times out means no rejection came. TLS 1.2
// needs no read: the server's Finished, which completed the handshake,
// follows its verdict.
func (a *attempt) awaitVerdict(ctx context.Context, tc *tls.Conn) error {
	a.mu.Lock()
	requested, raw := a.certReq != nil, a.raw
	a.mu.Unlock()
	if tc.ConnectionState().Version != tls.VersionTLS13 || !requested {
		return nil
	}
	a.setPhase(PhaseHandshake) // the verdict is the handshake's, however late
	deadline := time.Now().Add(lateAlertWait)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := tc.SetReadDeadline(deadline); err != nil {
		return &phaseError{phase: PhaseHandshake, err: err}
	}
	raw.armed.Store(true)
	var b [1]byte
	_, err := tc.Read(b[:])
	var ne net.Error
	if err == nil || (errors.As(err, &ne) && ne.Timeout()) {
		return nil
	}
	return &phaseError{phase: PhaseHandshake, err: err}
}

// lateAlert recovers the alert behind a failed exchange. When a TLS 1.3
// server rejects the client certificate, its alert reaches the client's
// read, but the client may report only the consequence (net/http: "http2:
// client conn could not be established", a write error, EOF). crypto/tls
// keeps the alert as the connection's read error, so one more read returns
// it. The read deadline is set in the past first so that this read, and any
// read still pending in the client, return at once.
func (a *attempt) lateAlert(err error) error {
	if _, ok := AlertFromError(err); ok {
		return err
	}
	a.mu.Lock()
	tc, done := a.tlsConn, a.handshakeDone
	a.mu.Unlock()
	if tc == nil || !done {
		return err
	}
	_ = tc.SetReadDeadline(time.Unix(1, 0))
	var b [1]byte
	if _, rerr := tc.Read(b[:]); rerr != nil {
		if _, ok := AlertFromError(rerr); ok {
			return &phaseError{phase: PhaseHandshake, err: fmt.Errorf("%w (reported as: %w)", rerr, err)}
		}
	}
	return err
}
