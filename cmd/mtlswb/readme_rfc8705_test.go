package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine/boundtoken"
	"github.com/mtlswb/mtlswb/tlsengine/boundtoken/boundtokentest"
)

var catRE = regexp.MustCompile(`\$\(cat ([^)]+)\)`)

// catFiles replaces each $(cat FILE) in arg by the file's content without
// its trailing newline, as the shell does.
func catFiles(t *testing.T, arg string) string {
	return catRE.ReplaceAllStringFunc(arg, func(m string) string {
		data, err := os.ReadFile(catRE.FindStringSubmatch(m)[1])
		if err != nil {
			t.Fatalf("README: %s: %v", m, err)
		}
		return strings.TrimRight(string(data), "\n")
	})
}

// globLines reports whether got matches want line by line: a line that is
// just "…" stands for any number of lines, and "…" inside a line for any
// text. The README uses it for thumbprints, dates and long reports.
func globLines(want, got []string) bool {
	if len(want) == 0 {
		return len(got) == 0
	}
	if want[0] == "…" {
		for i := 0; i <= len(got); i++ {
			if globLines(want[1:], got[i:]) {
				return true
			}
		}
		return false
	}
	if len(got) == 0 {
		return false
	}
	parts := strings.Split(want[0], "…")
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	if !regexp.MustCompile("^" + strings.Join(parts, ".*") + "$").MatchString(got[0]) {
		return false
	}
	return globLines(want[1:], got[1:])
}

func TestGlobLines(t *testing.T) {
	cases := map[string]struct {
		want, got []string
		ok        bool
	}{
		"equal":          {[]string{"a", "b"}, []string{"a", "b"}, true},
		"differ":         {[]string{"a", "b"}, []string{"a", "c"}, false},
		"extra line":     {[]string{"a"}, []string{"a", "b"}, false},
		"skip none":      {[]string{"a", "…", "b"}, []string{"a", "b"}, true},
		"skip some":      {[]string{"a", "…", "b"}, []string{"a", "x", "y", "b"}, true},
		"skip to end":    {[]string{"a", "…"}, []string{"a", "x"}, true},
		"in line":        {[]string{"x5t …  (RFC)"}, []string{"x5t abc-_  (RFC)"}, true},
		"in line differ": {[]string{"x5t …  (RFC)"}, []string{"x5t abc (RFC)"}, false},
		"regexp quoted":  {[]string{"a.b"}, []string{"axb"}, false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := globLines(tc.want, tc.got); got != tc.ok {
				t.Errorf("globLines(%q, %q) = %v", tc.want, tc.got, got)
			}
		})
	}
}

// notifyBuffer is a buffer written by a background command and read by the
// test, which waits for lines to arrive without sleeping.
type notifyBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func newNotifyBuffer() *notifyBuffer { return &notifyBuffer{changed: make(chan struct{}, 1)} }

func (b *notifyBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, err := b.buf.Write(p)
	select {
	case b.changed <- struct{}{}:
	default:
	}
	return n, err
}

func (b *notifyBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitLines returns the first n complete lines, failing after a deadline.
func (b *notifyBuffer) waitLines(t *testing.T, n int, done <-chan int) []string {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		if lines := strings.SplitAfter(b.String(), "\n"); len(lines) > n {
			out := lines[:n]
			for i := range out {
				out[i] = strings.TrimRight(out[i], " \n")
			}
			return out
		}
		select {
		case <-b.changed:
		case code := <-done:
			t.Fatalf("the background command ended with exit %d:\n%s", code, b.String())
		case <-deadline:
			t.Fatalf("the background command printed only:\n%s", b.String())
		}
	}
}

// TestReadmeRFC8705 runs the README's RFC 8705 transcripts in a fresh
// workspace, with a real server, so the documentation cannot drift from what
// mtlswb does.
func TestReadmeRFC8705(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	t.Chdir(e.dir) // the transcript reads token files and writes my-client.jwks beside them

	// The tokens an authorization server would have issued to my-client,
	// made when the transcript first needs them (after my-client exists).
	token := func(hexHash bool) func() string {
		return func() string {
			c := e.cert("my-client")
			x5t := boundtoken.Thumbprint(c)
			if hexHash {
				x5t = fingerprint(c)
			}
			return boundtokentest.WithX5t("my-client", x5t)
		}
	}
	files := map[string]func() string{"token.jwt": token(false), "token-hex.jwt": token(true)}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	local := strings.NewReplacer("localhost:8443", "localhost:"+port, "127.0.0.1:8443", "127.0.0.1:"+port)
	unlocal := strings.NewReplacer(":"+port, ":8443")

	steps := readTranscript(t, string(readme), "## RFC 8705")
	for _, st := range steps {
		for name, mk := range files {
			if strings.Contains(st.raw, name) {
				if _, err := os.Stat(name); err != nil {
					e.file(name, []byte(mk()+"\n"))
				}
			}
		}
		args := append([]string{"--workspace", e.ws}, st.args...)
		for i := range args {
			args[i] = local.Replace(catFiles(t, args[i]))
		}
		if st.background {
			args = append(args, "--addr", "127.0.0.1:"+port)
			out := newNotifyBuffer()
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan int, 1)
			go func() {
				done <- runEnv(ctx, args, strings.NewReader(""), out, out, func(k string) string { return e.vars[k] })
			}()
			t.Cleanup(func() {
				cancel()
				select {
				case <-done:
				case <-time.After(10 * time.Second):
					t.Error("the background command did not stop")
				}
			})
			// A server keeps logging; its first lines are what the README shows.
			got := out.waitLines(t, len(st.want), done)
			for i := range got {
				got[i] = unlocal.Replace(got[i])
			}
			if !globLines(st.want, got) {
				t.Errorf("README line %d, %s prints:\n%s\nthe README says:\n%s", st.line, st.raw, strings.Join(got, "\n"), strings.Join(st.want, "\n"))
			}
			continue
		}
		var out bytes.Buffer
		code := runEnv(t.Context(), args, strings.NewReader(""), &out, &out, func(k string) string { return e.vars[k] })
		// JSON is indented on a terminal, as the README shows it, and
		// compact into this buffer.
		var indented bytes.Buffer
		if json.Valid(out.Bytes()) && json.Indent(&indented, out.Bytes(), "", "  ") == nil {
			out = indented
		}
		got := strings.Split(strings.TrimRight(unlocal.Replace(out.String()), "\n"), "\n")
		for i := range got {
			got[i] = strings.TrimRight(got[i], " ")
		}
		if code != st.wantCode {
			t.Fatalf("README line %d, %s: exit %d, want %d\n%s", st.line, st.raw, code, st.wantCode, out.String())
		}
		if !globLines(st.want, got) {
			t.Errorf("README line %d, %s prints:\n%s\nthe README says:\n%s", st.line, st.raw, out.String(), strings.Join(st.want, "\n"))
		}
	}

	// What the README tells the reader to register is my-client's key and
	// certificate.
	var jwks struct {
		Keys []map[string]any `json:"keys"`
	}
	data, err := os.ReadFile("my-client.jwks")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &jwks); err != nil || len(jwks.Keys) != 1 || jwks.Keys[0]["x5t#S256"] != boundtoken.Thumbprint(e.cert("my-client")) {
		t.Errorf("my-client.jwks is not my-client's JWK set (%v):\n%s", err, data)
	}
}
