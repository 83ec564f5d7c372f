package tlsengine_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine"
)

// protoCase is one attempt of a protocol test and what it must report.
type protoCase struct {
	url     string
	client  *tls.Certificate
	opts    tlsengine.Options
	want    tlsengine.Category // "" for success
	phase   tlsengine.Phase
	app     string // Application.Code+" "+Message must contain it, "" for no application answer
	summary string // the failure's summary must contain it
	hint    string // one hint must contain it
}

func (c protoCase) run(t *testing.T, f *fixture) tlsengine.Report {
	t.Helper()
	r := tlsengine.Run(context.Background(), tlsengine.Request{URL: c.url, ClientCert: c.client, ClientName: "x",
		Roots: []*x509.Certificate{f.root.Cert}, Options: c.opts, Timeout: 5 * time.Second})
	switch {
	case c.want == "" && !r.OK:
		t.Fatalf("want success:\n%s", dump(t, r))
	case c.want != "" && (r.Failure == nil || r.Failure.Category != c.want || r.Failure.Phase != c.phase):
		t.Fatalf("want %s in phase %s:\n%s", c.want, c.phase, dump(t, r))
	}
	switch {
	case c.app == "" && r.Application != nil:
		t.Errorf("want no application answer, got %+v", r.Application)
	case c.app != "" && (r.Application == nil || !strings.Contains(r.Application.Code+" "+r.Application.Message, c.app)):
		t.Errorf("want an application answer with %q:\n%s", c.app, dump(t, r))
	case c.app != "" && r.Application.Accepted != (c.want == ""):
		t.Errorf("application accepted = %v, want %v", r.Application.Accepted, c.want == "")
	}
	if c.summary != "" && (r.Failure == nil || !strings.Contains(r.Failure.Summary, c.summary)) {
		t.Errorf("want a summary with %q:\n%s", c.summary, dump(t, r))
	}
	if c.hint != "" && (r.Failure == nil || !strings.Contains(strings.Join(r.Failure.Hints, "\n"), c.hint)) {
		t.Errorf("want a hint with %q:\n%s", c.hint, dump(t, r))
	}
	return r
}

// grpcServer is a gRPC service over HTTP/2 written with net/http: the
// health service and /test.Echo/Secret, which answers UNAUTHENTICATED.
// Only joe-ec may call anything (PERMISSION_DENIED for the others); the
// TLS layer requires a client certificate from the fixture's root.
// alpn, when not nil, replaces the ALPN names the server accepts.
func grpcServer(t *testing.T, f *fixture, alpn []string) string {
	t.Helper()
	mux := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		status, msg := "0", ""
		cn := r.TLS.PeerCertificates[0].Subject.CommonName
		switch {
		case r.Header.Get("Content-Type") != "application/grpc" || r.ProtoMajor != 2:
			http.Error(w, "not gRPC", http.StatusUnsupportedMediaType)
			return
		case cn != "joe-ec":
			status, msg = "7", "client "+cn+" may not call "+r.URL.Path
		case r.URL.Path == "/test.Echo/Secret":
			status, msg = "16", "token required"
		case r.URL.Path != "/grpc.health.v1.Health/Check":
			status, msg = "12", "unknown method "+r.URL.Path
		}
		w.Header().Set("Content-Type", "application/grpc")
		if status != "0" { // trailers-only
			w.Header().Set("Grpc-Status", status)
			w.Header().Set("Grpc-Message", strings.ReplaceAll(msg, " ", "%20"))
			w.WriteHeader(http.StatusOK)
			return
		}
		w.Header().Set("Trailer", "Grpc-Status")
		_, _ = w.Write([]byte{0, 0, 0, 0, 2, 0x08, 0x01}) // HealthCheckResponse{status: SERVING}
		w.Header().Set("Grpc-Status", "0")
	})
	srv := httptest.NewUnstartedServer(mux)
	pool := x509.NewCertPool()
	pool.AddCert(f.root.Cert)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{*cert(f.server)}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	srv.EnableHTTP2 = alpn == nil
	srv.TLS.NextProtos = alpn
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are the point
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

func TestGRPC(t *testing.T) {
	f := newFixture(t)
	addr := "grpcs://" + grpcServer(t, f, nil)
	cases := map[string]protoCase{
		"good identity":  {client: cert(f.clientEC), app: "OK the server is SERVING"},
		"no identity":    {want: tlsengine.ClientCertRequired, phase: tlsengine.PhaseHandshake},
		"rogue identity": {client: cert(f.clientRogue), want: tlsengine.ClientCertUnknownCA, phase: tlsengine.PhaseHandshake},
		"expired":        {client: cert(f.clientExpired), want: tlsengine.ClientCertExpired, phase: tlsengine.PhaseHandshake},
		"TLS accepts, the service refuses": {client: cert(f.clientRSA), want: tlsengine.HTTPForbidden, phase: tlsengine.PhaseResponse,
			app: "PERMISSION_DENIED client joe-rsa may not call", summary: "“client joe-rsa may not call /grpc.health.v1.Health/Check”"},
		"unauthenticated": {client: cert(f.clientEC), opts: tlsengine.Options{GRPCMethod: "test.Echo/Secret"},
			want: tlsengine.HTTPUnauthorized, phase: tlsengine.PhaseResponse, app: "UNAUTHENTICATED token required"},
		"no such method": {client: cert(f.clientEC), opts: tlsengine.Options{GRPCMethod: "/test.Echo/Missing"},
			want: tlsengine.HTTPError, phase: tlsengine.PhaseResponse, app: "UNIMPLEMENTED", hint: "--grpc-method"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			c.url = addr
			r := c.run(t, f)
			if want := "/grpc.health.v1.Health/Check"; c.opts.GRPCMethod == "" && (r.Request.Options == nil || r.Request.Options.GRPCMethod != want) {
				t.Errorf("the report does not echo the method %s: %+v", want, r.Request.Options)
			}
		})
	}
	t.Run("no ALPN", func(t *testing.T) {
		c := protoCase{url: "grpcs://" + grpcServer(t, f, []string{}), client: cert(f.clientEC),
			want: tlsengine.HTTPError, phase: tlsengine.PhaseRequest, summary: "did not choose HTTP/2"}
		c.run(t, f)
	})
	t.Run("HTTP/1.1 only", func(t *testing.T) {
		c := protoCase{url: "grpcs://" + grpcServer(t, f, []string{"http/1.1"}), client: cert(f.clientEC),
			want: tlsengine.TLSError, phase: tlsengine.PhaseHandshake, summary: "refused h2, the ALPN name of gRPC"}
		c.run(t, f)
	})
}

func TestGRPCValidate(t *testing.T) {
	for _, c := range []struct {
		req  tlsengine.Request
		want string // "" for valid
	}{
		{tlsengine.Request{URL: "grpcs://h:50051"}, ""},
		{tlsengine.Request{URL: "grpcs://h/pkg.Svc/Do"}, ""},
		{tlsengine.Request{URL: "grpcs://h", Options: tlsengine.Options{GRPCMethod: "Do"}}, "write it as /package.Service/Method"},
		{tlsengine.Request{URL: "grpcs://h", Options: tlsengine.Options{User: "u"}}, "grpcs:// does not use --user"},
		{tlsengine.Request{URL: "https://h", Options: tlsengine.Options{GRPCMethod: "/a.B/C"}}, "https:// does not use --grpc-method"},
	} {
		err := c.req.Validate()
		if (err == nil) != (c.want == "") || err != nil && !strings.Contains(err.Error(), c.want) {
			t.Errorf("Validate(%s %+v) = %v, want %q", c.req.URL, c.req.Options, err, c.want)
		}
	}
}
