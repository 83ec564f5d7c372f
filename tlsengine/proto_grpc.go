package tlsengine

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// grpcProtocol is gRPC over TLS: grpcs://. A call is an HTTP/2 POST whose
// body is a framed protobuf message and whose verdict is the grpc-status
// trailer, so the exchange is net/http's client (its bundled HTTP/2, which
// the binary has anyway: google.golang.org/grpc would add megabytes and
// start-up time for one unary call) sending an empty message: the health
// check's HealthCheckRequest{} asks about the whole server, and any method
// reached with an empty request still answers whether the identity may
// call it.
type grpcProtocol struct{}

func init() { register(grpcProtocol{}, "grpcs") }

func (grpcProtocol) options() []option { return []option{optGRPCMethod} }

func (grpcProtocol) name() string     { return "gRPC" }
func (grpcProtocol) defaultPort() int { return 443 }
func (grpcProtocol) alpn() []string   { return []string{"h2"} }

// grpcHealth is the method called when none is given.
const grpcHealth = "/grpc.health.v1.Health/Check"

// validMethod says whether m is /package.Service/Method: identifiers, a
// dotted service name, one slash between.
func validMethod(m string) bool {
	svc, name, ok := strings.Cut(strings.TrimPrefix(m, "/"), "/")
	ident := func(s string, dots bool) bool {
		for i, r := range s {
			if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && (r >= '0' && r <= '9' || dots && r == '.')) {
				return false
			}
		}
		return s != ""
	}
	return ok && ident(svc, true) && ident(name, false)
}

func (grpcProtocol) check(r Request, t target) error {
	if err := checkOnly(r, t); err != nil {
		return err
	}
	if m := grpcMethod(r, t); !validMethod(m) {
		return fmt.Errorf("gRPC method %q: write it as /package.Service/Method, such as %s", safetext.Line(m), grpcHealth)
	}
	return nil
}

func (grpcProtocol) echo(r Request, info RequestInfo) RequestInfo {
	t, _ := r.parseTarget()
	info.Options = &Options{GRPCMethod: safetext.Line(grpcMethod(r, t))}
	return info
}

// grpcMethod is --grpc-method, else the URL's path, else the health check.
func grpcMethod(r Request, t target) string {
	m := r.Options.GRPCMethod
	if m == "" && t.url != nil && strings.Trim(t.url.Path, "/") != "" {
		m = t.url.Path
	}
	if m == "" {
		return grpcHealth
	}
	return "/" + strings.TrimPrefix(m, "/")
}

// grpcCodes are gRPC's status codes by number.
var grpcCodes = []string{"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
	"ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
	"OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"}

func (grpcProtocol) exchange(ctx context.Context, a *attempt) (outcome, error) {
	tr := &http.Transport{
		DialTLSContext:     a.dialH2,
		ForceAttemptHTTP2:  true,
		DisableCompression: true,
	}
	defer tr.CloseIdleConnections()
	method := grpcMethod(a.req, a.tgt)
	u := url.URL{Scheme: "https", Host: a.tgt.addr, Path: method}
	// An empty message: not compressed, length 0.
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(make([]byte, 5)))
	if err != nil {
		return outcome{}, &phaseError{phase: PhaseRequest, err: err}
	}
	hreq.Header.Set("Content-Type", "application/grpc")
	hreq.Header.Set("TE", "trailers")
	hreq.Header.Set("User-Agent", "mtlswb")
	resp, err := (&http.Client{Transport: tr}).Do(hreq)
	if err != nil {
		return outcome{}, err
	}
	defer resp.Body.Close()
	a.setPhase(PhaseResponse)
	body, err := io.ReadAll(io.LimitReader(resp.Body, bodyKeepLimit))
	if err != nil {
		return outcome{}, &phaseError{phase: PhaseResponse, err: err}
	}
	ct := resp.Header.Get("Content-Type")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(ct, "application/grpc") {
		if resp.StatusCode >= 400 {
			// A proxy's or server's HTTP refusal: diagnosed as HTTP.
			info := &HTTPInfo{Status: resp.StatusCode, Proto: resp.Proto, Headers: copyHeaders(resp.Header),
				Body: body, BodyBytes: int64(len(body))}
			info.BodyPreview, info.BodyBinary = preview(body, int64(len(body)), ct)
			return outcome{http: info}, nil
		}
		return outcome{}, &refusal{category: HTTPError, said: fmt.Sprintf("HTTP %d, content-type %s", resp.StatusCode, ct),
			summary: "the server answered HTTP/2 but not as a gRPC server",
			hints:   []string{"check the host and port: this looks like a web server, not a gRPC service"}}
	}
	status := resp.Trailer.Get("Grpc-Status")
	msg := resp.Trailer.Get("Grpc-Message")
	if status == "" { // a trailers-only answer: the status is in the headers
		status, msg = resp.Header.Get("Grpc-Status"), resp.Header.Get("Grpc-Message")
	}
	if m, err := url.PathUnescape(msg); err == nil {
		msg = m
	}
	code, err := strconv.Atoi(status)
	if err != nil || code < 0 || code >= len(grpcCodes) {
		return outcome{}, &refusal{category: HTTPError, said: "grpc-status " + status,
			summary: "the server's gRPC answer has no valid grpc-status", hints: []string{"the server's log says more"}}
	}
	app := &Application{Protocol: "gRPC", Accepted: code == 0, Code: grpcCodes[code], Message: msg}
	if code == 0 {
		app.Message = "the call succeeded"
		if method == grpcHealth {
			app.Message = "the server is " + healthStatus(body)
		}
		return outcome{app: app}, nil
	}
	return outcome{app: app}, a.grpcRefusal(code, msg, method)
}

// dialH2 is dialTLS for gRPC, which needs HTTP/2: a server that does not
// choose h2 in ALPN is no gRPC endpoint, whatever HTTP/1.1 would say.
func (a *attempt) dialH2(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := a.dialTLS(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	if p := c.(*tls.Conn).ConnectionState().NegotiatedProtocol; p != "h2" {
		c.Close()
		return nil, &phaseError{phase: PhaseRequest, err: &refusal{category: HTTPError, said: "ALPN " + strconv.Quote(p),
			summary: "the server did not choose HTTP/2 in the handshake (ALPN h2): it is not a gRPC endpoint",
			hints:   []string{"check the host and port; a proxy in front of a gRPC service must pass HTTP/2 through"}}}
	}
	return c, nil
}

// healthStatus reads HealthCheckResponse's one field, status (1, a varint).
func healthStatus(frame []byte) string {
	names := []string{"UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"}
	if len(frame) >= 7 && frame[5] == 0x08 && int(frame[6]) < len(names) {
		return names[frame[6]]
	}
	return names[0] // a status of 0 is not sent at all
}

// grpcRefusal puts a gRPC status in the categories, as HTTP's 401 and 403.
func (a *attempt) grpcRefusal(code int, msg, method string) error {
	name := grpcCodes[code]
	rf := &refusal{said: name + ": " + msg}
	quoted := ""
	if msg != "" {
		quoted = fmt.Sprintf(": “%s”", safetext.Line(msg))
	}
	switch name {
	case "UNAUTHENTICATED":
		rf.category = HTTPUnauthorized
		rf.summary = "the server accepted the TLS connection, but the gRPC service refused the call as unauthenticated" + quoted
		rf.hints = []string{"the service wants other credentials (a token in metadata), or does not know this identity"}
		if a.req.ClientCert == nil {
			rf.hints = append(rf.hints, "choose an identity: services that authenticate by client certificate need one")
		}
	case "PERMISSION_DENIED":
		rf.category = HTTPForbidden
		rf.summary = fmt.Sprintf("the server accepted the TLS connection, but the gRPC service does not let %s call %s%s", a.identity(), safetext.Line(method), quoted)
		rf.hints = []string{"the identity is known but lacks permission for this method: check the service's authorization policy for the certificate's name"}
	case "UNIMPLEMENTED":
		rf.category = HTTPError
		rf.summary = fmt.Sprintf("the gRPC server does not implement %s%s", safetext.Line(method), quoted)
		rf.hints = []string{"TLS and the certificate were accepted: name a method the service has with --grpc-method /package.Service/Method"}
	default:
		rf.category = HTTPError
		rf.summary = fmt.Sprintf("the gRPC call failed with %s%s", name, quoted)
		rf.hints = []string{"TLS and the certificate were accepted; the service's log says more"}
	}
	return rf
}
