package tlsengine_test

import (
	"bytes"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/mtlswb/mtlswb/tlsengine"
)

// TestRoutes: a route dials another address while SNI and Host stay the
// URL's, and the report says which address was dialled and why.
func TestRoutes(t *testing.T) {
	f := newFixture(t)
	var gotHost, gotSNI string
	addr := startHTTPS(t, f, true, func(w http.ResponseWriter, r *http.Request) {
		gotHost, gotSNI = r.Host, r.TLS.ServerName
	})
	_, port, _ := net.SplitHostPort(addr)
	cases := map[string]struct {
		url   string
		route tlsengine.Route
	}{
		"resolve":               {"https://localhost:" + port + "/", tlsengine.Route{Host: "localhost", Port: port, ToHost: "127.0.0.1", Flag: "--resolve localhost:" + port + ":127.0.0.1"}},
		"connect-to":            {"https://localhost:1/", tlsengine.Route{Host: "localhost", Port: "1", ToHost: "127.0.0.1", ToPort: port, Flag: "--connect-to"}},
		"connect-to any source": {"https://localhost:2/", tlsengine.Route{ToHost: "127.0.0.1", ToPort: port, Flag: "--connect-to"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req := f.request(tc.url)
			req.Routes = []tlsengine.Route{{Host: "elsewhere", ToHost: "192.0.2.1"}, tc.route}
			rep := tlsengine.Run(t.Context(), req)
			if !rep.OK {
				t.Fatalf("failed: %+v", rep.Failure)
			}
			host := strings.TrimPrefix(tc.url, "https://")
			host = strings.TrimSuffix(host, "/")
			if gotSNI != "localhost" || gotHost != host {
				t.Errorf("SNI %q, Host %q; want localhost and %q", gotSNI, gotHost, host)
			}
			want := "127.0.0.1:" + port + " dialled for " + host + " (" + tc.route.Flag + ")"
			if rep.Request.Route != want {
				t.Errorf("route = %q, want %q", rep.Request.Route, want)
			}
		})
	}
	// No route matches: nothing is recorded.
	rep := tlsengine.Run(t.Context(), f.request("https://"+addr+"/"))
	if !rep.OK || rep.Request.Route != "" {
		t.Errorf("no route: ok %v, route %q", rep.OK, rep.Request.Route)
	}
}

// TestBodyTo: the whole body reaches BodyTo, past the MiB the report keeps.
func TestBodyTo(t *testing.T) {
	f := newFixture(t)
	big := bytes.Repeat([]byte("0123456789abcdef"), (3<<20)/16) // 3 MiB
	addr := startHTTPS(t, f, true, func(w http.ResponseWriter, r *http.Request) { w.Write(big) })
	var got bytes.Buffer
	req := f.request("https://" + addr + "/")
	req.BodyTo = &got
	rep := tlsengine.Run(t.Context(), req)
	if !rep.OK || !bytes.Equal(got.Bytes(), big) {
		t.Fatalf("ok %v, wrote %d bytes, want %d", rep.OK, got.Len(), len(big))
	}
	if rep.HTTP.BodyBytes != int64(len(big)) || len(rep.HTTP.Body) != 1<<20 {
		t.Errorf("report: %d bytes counted, %d kept; want %d and 1 MiB", rep.HTTP.BodyBytes, len(rep.HTTP.Body), len(big))
	}
	// Without BodyTo, the report alone is as before.
	rep = tlsengine.Run(t.Context(), f.request("https://"+addr+"/"))
	if rep.HTTP.BodyBytes != int64(len(big)) || len(rep.HTTP.Body) != 1<<20 {
		t.Errorf("no BodyTo: %d counted, %d kept", rep.HTTP.BodyBytes, len(rep.HTTP.Body))
	}
}
