package tlsengine_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/mtlswb/mtlswb/tlsengine"
)

// TestRedirectLoop: --follow through A → B → A stops at the repeat with its
// own failure naming the loop, not "not valid HTTP"; a long chain stops at 10.
func TestRedirectLoop(t *testing.T) {
	f := newFixture(t)
	var base string
	addr := startHTTPS(t, f, true, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/a":
			http.Redirect(w, r, base+"/b", http.StatusFound)
		case r.URL.Path == "/b":
			http.Redirect(w, r, base+"/a", http.StatusFound)
		case strings.HasPrefix(r.URL.Path, "/n"):
			http.Redirect(w, r, r.URL.Path+"n", http.StatusFound)
		}
	})
	base = "https://user:hunter2@" + addr
	cases := map[string]struct{ path, want string }{
		"loop": {"/a", "stopped after 2 redirects (loop: https://user:xxxxx@" + addr + "/a → https://user:xxxxx@" + addr + "/b → https://user:xxxxx@" + addr + "/a)"},
		"long": {"/n", "stopped after 10 redirects (https://user:xxxxx@" + addr + "/n → … → https://user:xxxxx@" + addr + "/nnnnnnnnnnn)"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			req := f.request(base + c.path)
			req.Follow = true
			rep := tlsengine.Run(t.Context(), req)
			if rep.OK || rep.Failure == nil {
				t.Fatalf("ok %v, want a failure", rep.OK)
			}
			fl := rep.Failure
			if fl.Category != tlsengine.HTTPError || fl.Phase != tlsengine.PhaseResponse {
				t.Errorf("category %s, phase %s; want http-error in the response phase", fl.Category, fl.Phase)
			}
			if !strings.Contains(fl.Summary, c.want) {
				t.Errorf("summary %q does not contain %q", fl.Summary, c.want)
			}
			out, _ := json.Marshal(rep)
			if bytes.Contains(out, []byte("hunter2")) {
				t.Errorf("the password is in the report: %s", out)
			}
			if bytes.Contains(out, []byte("not valid HTTP")) {
				t.Errorf("the report still says not valid HTTP: %s", out)
			}
		})
	}
}

// TestMaxResponse: a body longer than MaxResponse is cut there, flagged in
// the JSON and warned about; one of exactly the limit is not; BodyTo still
// gets everything.
func TestMaxResponse(t *testing.T) {
	f := newFixture(t)
	big := bytes.Repeat([]byte("x"), 3000)
	addr := startHTTPS(t, f, true, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/exact" {
			w.Write(big[:1024])
			return
		}
		w.Write(big)
	})
	cases := map[string]struct {
		path      string
		to        bool
		wantBytes int64
		wantCut   bool
	}{
		"cut":             {"/", false, 1024, true},
		"exactly limit":   {"/exact", false, 1024, false},
		"-o reads it all": {"/", true, 3000, false},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			req := f.request("https://" + addr + c.path)
			req.MaxResponse = 1 << 10
			var got bytes.Buffer
			if c.to {
				req.BodyTo = &got
			}
			rep := tlsengine.Run(t.Context(), req)
			if !rep.OK {
				t.Fatalf("failed: %+v", rep.Failure)
			}
			if rep.HTTP.BodyBytes != c.wantBytes || rep.HTTP.BodyTruncated != c.wantCut {
				t.Errorf("%d bytes, truncated %v; want %d, %v", rep.HTTP.BodyBytes, rep.HTTP.BodyTruncated, c.wantBytes, c.wantCut)
			}
			warned := strings.Contains(strings.Join(rep.Warnings, "\n"), "the body was cut at 1 KiB")
			if warned != c.wantCut || (c.wantCut && !strings.Contains(strings.Join(rep.Warnings, "\n"), "--max-response SIZE")) {
				t.Errorf("warnings %q; want the cut warned: %v", rep.Warnings, c.wantCut)
			}
			out, _ := json.Marshal(rep.HTTP)
			if bytes.Contains(out, []byte(`"body_truncated":true`)) != c.wantCut {
				t.Errorf("JSON %s; want body_truncated %v", out, c.wantCut)
			}
			if c.to && got.Len() != len(big) {
				t.Errorf("BodyTo got %d bytes, want %d", got.Len(), len(big))
			}
		})
	}
}
