package tlsengine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// httpProtocol is HTTP over TLS: https://. Its exchange is net/http's
// client, whose Transport dials by itself (once, or again for a redirect)
// through DialTLSContext; so the exchange hands it the engine's connection
// phases (dialTLS) rather than a connection, and times its own part with an
// httptrace.ClientTrace.
type httpProtocol struct{}

func init() { register(httpProtocol{}, "https") }

// httpALPN is what browsers offer; servers that pick h2 give the client a
// stream-multiplexed connection, others HTTP/1.1.
var httpALPN = []string{"h2", "http/1.1"}

func (httpProtocol) name() string     { return "HTTP" }
func (httpProtocol) defaultPort() int { return 443 }
func (httpProtocol) alpn() []string   { return httpALPN }

func (httpProtocol) check(r Request, _ target) error {
	if o := r.Options.given(); len(o) > 0 {
		return fmt.Errorf("https:// does not use --%s: drop it, or use the URL scheme of the protocol it belongs to", o[0])
	}
	if !httpguts.ValidHeaderFieldName(r.method()) {
		return fmt.Errorf("invalid method %q: use a method name such as GET or POST", safetext.Line(r.Method))
	}
	for k, vs := range r.Header {
		if !httpguts.ValidHeaderFieldName(k) {
			return fmt.Errorf("invalid header name %q: use letters, digits and -", safetext.Line(k))
		}
		for _, v := range vs {
			if !httpguts.ValidHeaderFieldValue(v) {
				return fmt.Errorf("invalid value for header %s: it contains control characters", safetext.Line(k))
			}
		}
	}
	return nil
}

func (httpProtocol) echo(r Request, info RequestInfo) RequestInfo {
	info.Method = strings.ToUpper(r.method())
	return info
}

func (r Request) method() string {
	if r.Method == "" {
		return http.MethodGet
	}
	return r.Method
}

// exchange sends the HTTP request and reads the answer.
func (httpProtocol) exchange(ctx context.Context, a *attempt) (outcome, error) {
	tr := &http.Transport{
		DialTLSContext:         a.dialTLS,
		DialContext:            a.dialPlain,
		ForceAttemptHTTP2:      true,
		DisableCompression:     true, // show what the server sent, not a decoded copy
		MaxResponseHeaderBytes: 1 << 20,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, CheckRedirect: checkRedirect}
	if !a.req.Follow {
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	var body io.Reader
	if len(a.req.Body) > 0 {
		body = bytes.NewReader(a.req.Body)
	}
	hreq, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, a.trace()), a.req.method(), a.tgt.url.String(), body)
	if err != nil {
		return outcome{}, &phaseError{phase: PhaseRequest, err: err}
	}
	if a.req.Header != nil {
		hreq.Header = a.req.Header.Clone()
		if h := a.req.Header.Get("Host"); h != "" {
			hreq.Host = h
		}
	}
	resp, err := client.Do(hreq)
	if rd := (*RedirectError)(nil); errors.As(err, &rd) {
		// Without net/http's wrapping, which names the first URL with
		// its password.
		return outcome{}, &phaseError{phase: PhaseResponse, err: rd}
	}
	if err != nil {
		return outcome{}, err
	}
	defer resp.Body.Close()
	a.setPhase(PhaseResponse)
	info, err := readResponse(resp, a.req.BodyTo, a.req.MaxResponse)
	if info.BodyTruncated {
		a.warn("the body was cut at %s: only that much was read and counted; raise --max-response SIZE to read more, or save it whole with -o FILE", sizeText(info.BodyBytes))
	}
	return outcome{http: info}, err
}

// maxRedirects is where a followed chain stops, as net/http's own default.
const maxRedirects = 10

// RedirectError ends a followed redirect chain that loops or runs past
// maxRedirects. Chain holds the URLs visited, the first request's first,
// passwords redacted and sanitized; Loop is set when the last one repeats
// an earlier one.
type RedirectError struct {
	Chain []string
	Loop  bool
}

func (e *RedirectError) Error() string {
	hops := len(e.Chain) - 1
	if e.Loop {
		return fmt.Sprintf("stopped after %d redirects (loop: %s)", hops, strings.Join(e.loop(), " → "))
	}
	return fmt.Sprintf("stopped after %d redirects (%s → … → %s)", hops, e.Chain[0], e.Chain[len(e.Chain)-1])
}

// loop is the part of the chain that repeats, from the first visit of the
// URL visited again to its second.
func (e *RedirectError) loop() []string {
	last := e.Chain[len(e.Chain)-1]
	for i, u := range e.Chain[:len(e.Chain)-1] {
		if u == last {
			return e.Chain[i:]
		}
	}
	return e.Chain
}

// checkRedirect follows a redirect unless its URL was already visited
// (a loop: following it again cannot end) or the chain is maxRedirects long.
func checkRedirect(req *http.Request, via []*http.Request) error {
	next := req.URL.String()
	chain := make([]string, 0, len(via)+1)
	loop := false
	for _, r := range via {
		u := r.URL.String()
		loop = loop || u == next
		chain = append(chain, safetext.Line(redactURL(u)))
	}
	chain = append(chain, safetext.Line(redactURL(next)))
	if loop || len(via) >= maxRedirects {
		return &RedirectError{Chain: chain, Loop: loop}
	}
	return nil
}

// dialPlain serves the http:// hops of followed redirects: no TLS, so the
// connect phases only.
func (a *attempt) dialPlain(ctx context.Context, _, addr string) (net.Conn, error) {
	c, err := a.dialTCP(ctx, addr)
	if err == nil {
		a.setPhase(PhaseRequest)
	}
	return c, err
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
