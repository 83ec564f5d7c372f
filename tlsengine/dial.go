package tlsengine

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/netip"
	"net/url"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// phaseError records where an error happened.
type phaseError struct {
	phase Phase
	via   string // "proxy" when it concerns the proxy, not the target
	err   error
}

func (e *phaseError) Error() string { return e.err.Error() }
func (e *phaseError) Unwrap() error { return e.err }

// ProxyError is a CONNECT proxy's refusal to open the tunnel.
type ProxyError struct {
	Proxy  string
	Status string
}

func (e *ProxyError) Error() string {
	return fmt.Sprintf("proxy %s refused the tunnel: %s", e.Proxy, e.Status)
}

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
// handshake then fails with a broken pipe, and the transport closes the
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

// bufferedConn returns bytes a reader already buffered before the conn's.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

func (a *attempt) dialTCP(ctx context.Context, addr string) (net.Conn, error) {
	addr, _ = a.route(addr)
	if a.req.Proxy != "" {
		return a.dialProxy(ctx, addr)
	}
	return a.dialDirect(ctx, addr, "")
}

func (a *attempt) dialDirect(ctx context.Context, addr, via string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, &phaseError{phase: PhaseConnect, via: via, err: err}
	}
	a.setPhase(PhaseDNS)
	ips, err := a.resolve(ctx, host)
	if err != nil {
		return nil, &phaseError{phase: PhaseDNS, via: via, err: err}
	}
	a.setPhase(PhaseConnect)
	t0 := time.Now()
	var d net.Dialer
	var firstErr error
	for _, ip := range ips {
		c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(ip.String(), port))
		if err == nil {
			a.mu.Lock()
			a.timing.ConnectMs = ms(time.Since(t0))
			a.mu.Unlock()
			return c, nil
		}
		if firstErr == nil {
			firstErr = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	a.mu.Lock()
	a.timing.ConnectMs = ms(time.Since(t0))
	a.mu.Unlock()
	return nil, &phaseError{phase: PhaseConnect, via: via, err: firstErr}
}

func (a *attempt) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, nil
	}
	t0 := time.Now()
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	a.mu.Lock()
	a.timing.DNSMs = ms(time.Since(t0))
	a.mu.Unlock()
	if err == nil && len(ips) == 0 {
		err = &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
	}
	return ips, err
}

// dialProxy opens a tunnel to addr through the HTTP CONNECT proxy.
func (a *attempt) dialProxy(ctx context.Context, addr string) (net.Conn, error) {
	paddr, err := proxyAddr(a.req.Proxy)
	if err != nil {
		return nil, &phaseError{phase: PhaseConnect, via: "proxy", err: err}
	}
	c, err := a.dialDirect(ctx, paddr, "proxy")
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	t0 := time.Now()
	req := &http.Request{Method: http.MethodConnect, URL: &url.URL{Opaque: addr}, Host: addr, Header: http.Header{}}
	if u, _ := url.Parse(a.req.Proxy); u != nil && u.User != nil {
		pw, _ := u.User.Password()
		req.Header.Set("Proxy-Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(u.User.Username()+":"+pw)))
	}
	fail := func(err error) (net.Conn, error) {
		c.Close()
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, &phaseError{phase: PhaseConnect, via: "proxy", err: err}
	}
	if err := req.Write(c); err != nil {
		return fail(fmt.Errorf("send CONNECT to proxy %s: %w", paddr, err))
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		return fail(fmt.Errorf("read the CONNECT answer of proxy %s: %w", paddr, err))
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fail(&ProxyError{Proxy: paddr, Status: safetext.Line(resp.Status)})
	}
	a.mu.Lock()
	a.timing.ConnectMs += ms(time.Since(t0))
	a.mu.Unlock()
	if br.Buffered() > 0 {
		return &bufferedConn{Conn: c, r: br}, nil
	}
	return c, nil
}

// dialPlain serves http:// hops of followed redirects.
func (a *attempt) dialPlain(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := a.dialTCP(ctx, addr)
	if err == nil {
		a.setPhase(PhaseRequest)
	}
	return c, err
}

// serverNameFor is the name verified for a connection to addr: the
// override for the original host, the host itself after a redirect.
func (a *attempt) serverNameFor(addr string) string {
	host, _, _ := net.SplitHostPort(addr)
	if host == a.tgt.host {
		return a.tgt.serverName
	}
	return host
}

// dialTLS connects and completes the handshake, recording what it shows.
func (a *attempt) dialTLS(ctx context.Context, _, addr string) (net.Conn, error) {
	c, err := a.dialTCP(ctx, addr)
	if err != nil {
		return nil, err
	}
	raw := &rawConn{Conn: c}
	sn := a.serverNameFor(addr)
	a.mu.Lock()
	a.phase, a.serverName, a.raw = PhaseHandshake, sn, raw
	a.handshakeDone, a.certReq, a.sent, a.server, a.supportErr = false, nil, false, nil, nil
	a.mu.Unlock()
	tc := tls.Client(raw, a.tlsConfig(sn))
	t0 := time.Now()
	err = tc.HandshakeContext(ctx)
	cs := tc.ConnectionState()
	a.mu.Lock()
	a.timing.TLSMs = ms(time.Since(t0))
	a.state = &cs
	if err == nil {
		a.handshakeDone = true
		a.phase = PhaseRequest
	}
	a.mu.Unlock()
	if err != nil {
		tc.Close()
		return nil, &phaseError{phase: PhaseHandshake, err: err}
	}
	raw.salvage.Store(true)
	a.mu.Lock()
	a.tlsConn = tc
	a.mu.Unlock()
	return tc, nil
}

// lateAlert recovers the alert behind a failed request. When a TLS 1.3
// server rejects the client certificate, its alert reaches the transport's
// read loop, but the transport may report only the consequence ("http2: client
// conn could not be established", a write error, EOF). crypto/tls keeps the
// alert as the connection's read error, so one more read returns it. The read
// deadline is set in the past first so that this read, and any read still
// pending in the transport, return at once.
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

// probe handshakes and waits for the server's verdict on the client
// certificate.
func (a *attempt) probe(ctx context.Context) error {
	c, err := a.dialTLS(ctx, "tcp", a.tgt.addr)
	if err != nil {
		return err
	}
	defer c.Close()
	return a.awaitVerdict(ctx, c.(*tls.Conn))
}

// awaitVerdict reads once after a TLS 1.3 handshake in which the server asked
// for a certificate: in TLS 1.3 the client speaks last, so the server's
// rejection of its certificate arrives as an alert on the first read. A read
// that times out means no rejection came. TLS 1.2 needs no read: the server's
// Finished, which completed the handshake, follows its verdict.
func (a *attempt) awaitVerdict(ctx context.Context, tc *tls.Conn) error {
	a.mu.Lock()
	requested, raw := a.certReq != nil, a.raw
	a.mu.Unlock()
	if tc.ConnectionState().Version != tls.VersionTLS13 || !requested {
		return nil
	}
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

// request sends the HTTP request and reads the answer.
func (a *attempt) request(ctx context.Context) (*HTTPInfo, error) {
	tr := &http.Transport{
		DialTLSContext:         a.dialTLS,
		DialContext:            a.dialPlain,
		ForceAttemptHTTP2:      true,
		DisableCompression:     true, // show what the server sent, not a decoded copy
		MaxResponseHeaderBytes: 1 << 20,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	if !a.req.Follow {
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	var body io.Reader
	if len(a.req.Body) > 0 {
		body = bytes.NewReader(a.req.Body)
	}
	hreq, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, a.trace()), a.req.method(), a.tgt.url.String(), body)
	if err != nil {
		return nil, &phaseError{phase: PhaseRequest, err: err}
	}
	if a.req.Header != nil {
		hreq.Header = a.req.Header.Clone()
		if h := a.req.Header.Get("Host"); h != "" {
			hreq.Host = h
		}
	}
	resp, err := client.Do(hreq)
	if err != nil {
		return nil, a.lateAlert(err)
	}
	defer resp.Body.Close()
	a.setPhase(PhaseResponse)
	return readResponse(resp, a.req.BodyTo)
}

func (a *attempt) trace() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) {
			a.mu.Lock()
			a.connReady = time.Now()
			a.mu.Unlock()
		},
		WroteRequest: func(httptrace.WroteRequestInfo) {
			a.mu.Lock()
			a.wroteRequest = time.Now()
			if !a.connReady.IsZero() {
				a.timing.RequestSentMs = ms(a.wroteRequest.Sub(a.connReady))
			}
			a.phase = PhaseResponse
			a.mu.Unlock()
		},
		GotFirstResponseByte: func() {
			a.mu.Lock()
			if !a.wroteRequest.IsZero() {
				a.timing.TTFBMs = ms(time.Since(a.wroteRequest))
			}
			a.mu.Unlock()
		},
	}
}
