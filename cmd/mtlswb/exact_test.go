package main

import (
	"bytes"
	"encoding/json"
	"net"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/pki"
	"github.com/mtlswb/mtlswb/tlsengine/safetext"
	"github.com/mtlswb/mtlswb/tlsengine/tlstest"
	"github.com/mtlswb/mtlswb/workspace"
)

// terminalSafe fails when out holds anything a terminal would act on or
// display as other than it is.
func terminalSafe(t *testing.T, what, out string) {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if !safetext.IsClean(strings.ReplaceAll(line, "\t", " ")) {
			t.Errorf("%s printed a control, bidi or non-UTF-8 character: %q", what, line)
		}
	}
}

// TestSendKeepsServerBytes: a server's hostile headers and body reach
// --json, -i on a pipe and history exactly, and the text report and
// `history show` sanitized.
func TestSendKeepsServerBytes(t *testing.T) {
	e := newEnv(t)
	p := tlstest.NewPKI(t)
	ca := e.file("root.pem", certPEM(p.Root.Cert))
	for name, body := range map[string]string{"text": tlstest.HostileTextBody, "binary": tlstest.HostileBinaryBody} {
		t.Run(name, func(t *testing.T) {
			url := "https://" + tlstest.StartRawHTTPS(t, p.ServerCert(), tlstest.HostileAnswer(body)) + "/"
			send := func(extra ...string) result {
				return e.ok(append([]string{"send", "--no-profile", "--ca", ca}, append(extra, url)...)...)
			}
			terminalSafe(t, "send", send().stdout)
			exact := func(what string, rep tlsengine.Report, bodyWant string) {
				t.Helper()
				h := rep.HTTP
				if h == nil {
					t.Fatalf("%s: no answer", what)
				}
				want := map[string][]string{"X-C1": {tlstest.HostileHeader}, "X-Raw": {tlstest.HostileRawHeader, "second"}, "Location": {tlstest.HostileLocation}}
				for k, v := range want {
					if !reflect.DeepEqual(h.Headers[k], v) {
						t.Errorf("%s: header %s = %q, want %q", what, k, h.Headers[k], v)
					}
				}
				if string(h.Body) != bodyWant || h.Location != tlstest.HostileLocation {
					t.Errorf("%s: body %q, location %q; want %q, %q", what, h.Body, h.Location, bodyWant, tlstest.HostileLocation)
				}
			}
			var rep tlsengine.Report
			if err := json.Unmarshal([]byte(send("--json").stdout), &rep); err != nil {
				t.Fatal(err)
			}
			exact("send --json", rep, body)
			// -i to a pipe is curl's: the bytes as they came.
			if out := send("-i").stdout; !strings.Contains(out, "X-Raw: "+tlstest.HostileRawHeader+"\r\n") || !strings.HasSuffix(out, "\r\n\r\n"+body) {
				t.Errorf("send -i on a pipe: %q", out)
			}

			var list []workspace.HistoryEntry
			if err := json.Unmarshal([]byte(e.ok("history", "ls", "--json", "--limit", "1").stdout), &list); err != nil || len(list) != 1 {
				t.Fatalf("history ls --json: %v", err)
			}
			id := strconv.FormatUint(list[0].ID, 10)
			terminalSafe(t, "history show", e.ok("history", "show", id).stdout)
			var entry workspace.HistoryEntry
			if err := json.Unmarshal([]byte(e.ok("history", "show", id, "--json").stdout), &entry); err != nil {
				t.Fatal(err)
			}
			var stored tlsengine.Report
			if err := json.Unmarshal(entry.Report, &stored); err != nil {
				t.Fatal(err)
			}
			exact("history", stored, body)
		})
	}
}

// TestChainNamesEverySAN: a server verified by its IP SAN alone shows it,
// with its URI and email SANs, in send's and probe's text and JSON; an
// email SAN with an escape sequence is exact in JSON and visible, inert
// text on the terminal.
func TestChainNamesEverySAN(t *testing.T) {
	e := newEnv(t)
	root := mustPair(t)(pki.NewRoot(pki.Spec{CN: "SAN Root", IsCA: true}))
	spiffe, _ := url.Parse("spiffe://example.org/ns/prod/sa/api")
	const email = "ops\x1b[2J@example.org"
	srv := mustPair(t)(root.Issue(pki.Spec{CN: "api", Server: true, IPs: []net.IP{net.IPv4(127, 0, 0, 1)},
		URIs: []*url.URL{spiffe}, Emails: []string{email}}))
	addr := tlstest.StartRawHTTPS(t, tlstest.TLSCert(srv), []byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
	ca := e.file("san-root.pem", certPEM(root.Cert))

	wantNames := "names 127.0.0.1, spiffe://example.org/ns/prod/sa/api, ops^[[2J@example.org"
	for _, cmd := range []string{"send", "probe"} {
		r := e.ok(cmd, "--no-profile", "--ca", ca, "https://"+addr+"/")
		if !strings.Contains(r.stdout, wantNames) {
			t.Errorf("%s: want %q in\n%s", cmd, wantNames, r.stdout)
		}
		terminalSafe(t, cmd, r.stdout)
		var rep tlsengine.Report
		if err := json.Unmarshal([]byte(e.ok(cmd, "--no-profile", "--ca", ca, "--json", "https://"+addr+"/").stdout), &rep); err != nil {
			t.Fatal(err)
		}
		l := rep.TLS.ServerChain[0]
		if len(l.DNSNames) != 0 || !reflect.DeepEqual(l.IPAddresses, []string{"127.0.0.1"}) ||
			!reflect.DeepEqual(l.URIs, []string{spiffe.String()}) || !reflect.DeepEqual(l.EmailAddresses, []string{email}) {
			t.Errorf("%s --json: dns %q, ip %q, uri %q, email %q", cmd, l.DNSNames, l.IPAddresses, l.URIs, l.EmailAddresses)
		}
	}
	// The JSON of a certificate without such SANs leaves them out.
	out := e.ok("probe", "--no-profile", "--ca", ca, "--json", "https://"+addr+"/").stdout
	if !bytes.Contains([]byte(out), []byte(`"ip_addresses":["127.0.0.1"]`)) || strings.Count(out, `"uris"`) != 1 {
		t.Errorf("probe --json: want the SANs of the leaf only:\n%s", out)
	}
}

// hostileText is what a server or a certificate could put in any string.
const hostileText = "x\x1b]52;c;ZXZpbA==\x07\x1b[2J\u009b6n\u202e\r\x00\xff\ny"

// TestRenderSanitizesEveryField: a report whose every string is hostile
// (so a field added later is covered too) renders as safe text, whatever
// its outcome.
func TestRenderSanitizesEveryField(t *testing.T) {
	var rep tlsengine.Report
	tlstest.FillStrings(&rep, hostileText)
	for name, mut := range map[string]func(*tlsengine.Report){
		"failed":     func(r *tlsengine.Report) {},
		"ok":         func(r *tlsengine.Report) { r.OK, r.Unjudged = true, nil },
		"unjudged":   func(r *tlsengine.Report) { r.OK = true },
		"app answer": func(r *tlsengine.Report) { r.OK, r.Unjudged, r.HTTP = true, nil, nil },
	} {
		t.Run(name, func(t *testing.T) {
			r := rep
			mut(&r)
			var out bytes.Buffer
			renderReport(&out, r, false)
			terminalSafe(t, "renderReport", out.String())
			if !strings.Contains(out.String(), "x^[]52;c;ZXZpbA==^G") {
				t.Errorf("the hostile text is not shown escaped:\n%s", out.String())
			}
			ch := workspace.ChooseIdentity(r)
			out.Reset()
			explainAuto(&out, &ch)
			terminalSafe(t, "which", out.String())
		})
	}
}
