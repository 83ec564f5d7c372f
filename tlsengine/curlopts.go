package tlsengine

import (
	"fmt"
	"io"
	"net"
	"strings"
)

// Two options curl users expect, kept apart from the engine's core:
// Request.BodyTo receives the whole response body (HTTPInfo.Body keeps
// only the first MiB), and Request.Routes dial another address than the
// URL's while SNI and Host stay the URL's (curl's --resolve and
// --connect-to). A route taken is recorded in RequestInfo.Route.

// Route sends a connection for Host:Port to ToHost:ToPort. An empty Host or
// Port matches any; an empty ToHost or ToPort keeps the original.
type Route struct {
	Host, Port     string
	ToHost, ToPort string
	// Flag is how the user wrote it, for the report ("--resolve ...").
	Flag string
}

// Apply returns where r sends a connection for addr (host:port), and
// whether r matches it at all.
func (r Route) Apply(addr string) (string, bool) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr, false
	}
	if (r.Host != "" && !strings.EqualFold(strings.Trim(r.Host, "[]"), host)) || (r.Port != "" && r.Port != port) {
		return addr, false
	}
	toHost, toPort := strings.Trim(r.ToHost, "[]"), r.ToPort
	if toHost == "" {
		toHost = host
	}
	if toPort == "" {
		toPort = port
	}
	return net.JoinHostPort(toHost, toPort), true
}

// route returns where a connection for addr really goes, and the route
// taken (nil for none).
func (a *attempt) route(addr string) (string, *Route) {
	for i := range a.req.Routes {
		r := &a.req.Routes[i]
		to, ok := r.Apply(addr)
		if !ok {
			continue
		}
		a.mu.Lock()
		if a.routed == "" {
			a.routed = fmt.Sprintf("%s dialled for %s (%s)", to, addr, r.Flag)
		}
		a.mu.Unlock()
		return to, r
	}
	return addr, nil
}

// bodySink is where the whole body goes besides the kept first MiB; with
// one, the read limit (maxRead, or 64 MiB when 0) does not apply: the user
// asked for the file.
func bodySink(keep io.Writer, to io.Writer, maxRead int64) (io.Writer, int64) {
	if to == nil {
		if maxRead <= 0 {
			maxRead = bodyReadLimit
		}
		return keep, maxRead
	}
	return io.MultiWriter(keep, to), -1
}
