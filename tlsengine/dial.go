package tlsengine

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
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

// bufferedConn returns bytes a reader already buffered before the conn's.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// dialTCP runs the resolve and connect phases: a TCP connection to addr,
// or a tunnel to it through the CONNECT proxy.
func (a *attempt) dialTCP(ctx context.Context, addr string) (net.Conn, error) {
	addr, _ = a.route(addr)
	if a.req.Proxy != "" {
		return a.dialProxy(ctx, addr)
	}
	return a.dialDirect(ctx, addr, "")
}

// dialDirect connects to addr itself; via is "proxy" when addr is the
// proxy's.
func (a *attempt) dialDirect(ctx context.Context, addr, via string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, &phaseError{phase: PhaseConnect, via: via, err: err}
	}
	ips, err := a.resolve(ctx, host, via)
	if err != nil {
		return nil, err
	}
	t0 := a.enter(PhaseConnect)
	var d net.Dialer
	var firstErr error
	for _, ip := range ips {
		c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(ip.String(), port))
		if err == nil {
			return c, a.leave(PhaseConnect, via, t0, nil)
		}
		if firstErr == nil {
			firstErr = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, a.leave(PhaseConnect, via, t0, firstErr)
}

// resolve looks host up; an IP address needs no lookup, so the phase is
// skipped and its timing stays 0.
func (a *attempt) resolve(ctx context.Context, host, via string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, nil
	}
	t0 := a.enter(PhaseDNS)
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err == nil && len(ips) == 0 {
		err = &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
	}
	return ips, a.leave(PhaseDNS, via, t0, err)
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

// serverNameFor is the name verified for a connection to addr: the
// override for the original host, the host itself after a redirect.
func (a *attempt) serverNameFor(addr string) string {
	host, _, _ := net.SplitHostPort(addr)
	if host == a.tgt.host {
		return a.tgt.serverName
	}
	return host
}

// open runs the connection phases to the target: what an exchange over one
// connection starts with. The connection's reads and writes end when ctx
// does, as net/http's do, so an exchange needs no deadline of its own.
func (a *attempt) open(ctx context.Context) (*tls.Conn, error) {
	tc, err := a.connection(ctx, a.tgt.addr)
	if err != nil {
		return nil, err
	}
	if d, ok := ctx.Deadline(); ok {
		_ = tc.SetDeadline(d)
	}
	context.AfterFunc(ctx, func() { _ = tc.SetDeadline(time.Unix(1, 0)) })
	return tc, nil
}

// dialTLS runs the connection phases for a client that dials by itself, in
// the shape of net/http's Transport.DialTLSContext.
func (a *attempt) dialTLS(ctx context.Context, _, addr string) (net.Conn, error) {
	tc, err := a.connection(ctx, addr)
	if err != nil {
		return nil, err // not a nil *tls.Conn in a non-nil net.Conn
	}
	return tc, nil
}

// connection runs the connection phases to addr: resolve and connect
// (through the proxy if any), the protocol's preamble, the TLS handshake.
func (a *attempt) connection(ctx context.Context, addr string) (*tls.Conn, error) {
	c, err := a.dialTCP(ctx, addr)
	if err != nil {
		return nil, err
	}
	sn := a.serverNameFor(addr)
	if err := a.preamble(ctx, c, sn); err != nil {
		c.Close()
		return nil, err
	}
	return a.handshake(ctx, c, sn)
}

// preamble runs the protocol's preamble, if it has one, on the plain
// connection. Its reads and writes end when ctx does, as a dial's would.
func (a *attempt) preamble(ctx context.Context, c net.Conn, serverName string) error {
	p, ok := a.tgt.proto.(preambler)
	if !ok {
		return nil
	}
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	t0 := a.enter(PhasePreamble)
	err := p.preamble(ctx, c, serverName)
	if err != nil && ctx.Err() != nil {
		err = ctx.Err() // the deadline set above, not the server, ended it
	}
	return a.leave(PhasePreamble, "", t0, err)
}

// handshake runs the TLS handshake over c, recording what it shows.
func (a *attempt) handshake(ctx context.Context, c net.Conn, serverName string) (*tls.Conn, error) {
	raw := &rawConn{Conn: c}
	a.mu.Lock()
	a.serverName, a.raw = serverName, raw
	a.handshakeDone, a.certReq, a.sent, a.server, a.supportErr = false, nil, false, nil, nil
	a.renegotiated, a.tickets = false, 0
	a.mu.Unlock()
	tc := tls.Client(raw, a.tlsConfig(serverName))
	t0 := a.enter(PhaseHandshake)
	err := tc.HandshakeContext(ctx)
	cs := tc.ConnectionState()
	a.mu.Lock()
	a.state, a.handshakeDone = &cs, err == nil
	a.mu.Unlock()
	if err = a.leave(PhaseHandshake, "", t0, err); err != nil {
		tc.Close()
		return nil, err
	}
	raw.salvage.Store(true)
	a.mu.Lock()
	a.tlsConn, a.handshakeEnd = tc, time.Now()
	a.phase = PhaseRequest // the exchange comes next
	a.mu.Unlock()
	return tc, nil
}
