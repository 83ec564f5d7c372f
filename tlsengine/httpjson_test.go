package tlsengine_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/tlstest"
)

const (
	hostileHeader = tlstest.HostileHeader
	rawHeader     = tlstest.HostileRawHeader
	hostileLoc    = tlstest.HostileLocation
	textBody      = tlstest.HostileTextBody
	binaryBody    = tlstest.HostileBinaryBody
)

// TestJSONKeepsTheBytes: the report's JSON carries a hostile server's
// headers and body exactly (UTF-8 as strings, the rest as base64), and
// decoding it gives the same bytes back.
func TestJSONKeepsTheBytes(t *testing.T) {
	f := newFixture(t)
	for name, body := range map[string]string{"text body": textBody, "binary body": binaryBody} {
		t.Run(name, func(t *testing.T) {
			addr := tlstest.StartRawHTTPS(t, tlstest.TLSCert(f.server), tlstest.HostileAnswer(body))
			rep := tlsengine.Run(t.Context(), f.request("https://"+addr+"/"))
			if !rep.OK || rep.HTTP == nil {
				t.Fatalf("want a 200 answer:\n%s", dump(t, rep))
			}
			b, err := json.Marshal(rep)
			if err != nil {
				t.Fatal(err)
			}
			var doc struct {
				HTTP struct {
					Headers       map[string][]string `json:"headers"`
					HeadersBase64 map[string][]string `json:"headers_base64"`
					Location      string              `json:"location"`
					Body          string              `json:"body"`
					BodyEncoding  string              `json:"body_encoding"`
					BodyPreview   string              `json:"body_preview"`
				} `json:"http"`
			}
			if err := json.Unmarshal(b, &doc); err != nil {
				t.Fatal(err)
			}
			h := doc.HTTP
			if got := h.Headers["X-C1"]; !reflect.DeepEqual(got, []string{hostileHeader}) {
				t.Errorf("headers X-C1 = %q, want %q", got, hostileHeader)
			}
			if h.Location != hostileLoc {
				t.Errorf("location = %q, want %q", h.Location, hostileLoc)
			}
			if _, ok := h.HeadersBase64["X-C1"]; ok || len(h.HeadersBase64) != 1 {
				t.Errorf("headers_base64 = %q: want only X-Raw, the header that is not UTF-8", h.HeadersBase64)
			}
			var raw []string
			for _, v := range h.HeadersBase64["X-Raw"] {
				d, err := base64.StdEncoding.DecodeString(v)
				if err != nil {
					t.Fatalf("headers_base64 value %q: %v", v, err)
				}
				raw = append(raw, string(d))
			}
			if want := []string{rawHeader, "second"}; !reflect.DeepEqual(raw, want) {
				t.Errorf("headers_base64 X-Raw decodes to %q, want %q", raw, want)
			}
			if len(h.Headers["X-Raw"]) != 2 {
				t.Errorf("headers X-Raw = %q: every header is in headers too", h.Headers["X-Raw"])
			}
			gotBody := h.Body
			switch {
			case utf8.ValidString(body) && h.BodyEncoding != "":
				t.Errorf("a UTF-8 body has body_encoding %q", h.BodyEncoding)
			case !utf8.ValidString(body):
				if h.BodyEncoding != "base64" {
					t.Errorf("a body that is not UTF-8 has body_encoding %q, want base64", h.BodyEncoding)
				}
				d, _ := base64.StdEncoding.DecodeString(h.Body)
				gotBody = string(d)
			}
			if gotBody != body {
				t.Errorf("body = %q, want %q", gotBody, body)
			}

			var back tlsengine.Report
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(back.HTTP.Body, []byte(body)) || !reflect.DeepEqual(back.HTTP.Headers, rep.HTTP.Headers) {
				t.Errorf("decoded: body %q, headers %q; want %q and %q", back.HTTP.Body, back.HTTP.Headers, body, rep.HTTP.Headers)
			}
		})
	}
}

func TestHTTPInfoJSON(t *testing.T) {
	cases := map[string]struct {
		info tlsengine.HTTPInfo
		want []string // fragments of the JSON
		not  []string
	}{
		"empty body": {info: tlsengine.HTTPInfo{Status: 204, Headers: map[string][]string{}},
			not: []string{`"body"`, `"body_encoding"`, `"headers_base64"`}},
		"text": {info: tlsengine.HTTPInfo{Status: 200, Body: []byte("a\x1bb\x00")},
			want: []string{`"body":"a\u001bb\u0000"`}, not: []string{`"body_encoding"`}},
		"binary": {info: tlsengine.HTTPInfo{Status: 200, Body: []byte{0xff, 0}},
			want: []string{`"body":"/wA="`, `"body_encoding":"base64"`}},
		"raw header": {info: tlsengine.HTTPInfo{Status: 200, Headers: map[string][]string{"X": {"\xff"}, "Y": {"ok"}}},
			want: []string{`"headers":{"X":["\ufffd"],"Y":["ok"]}`, `"headers_base64":{"X":["/w=="]}`}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			b, err := json.Marshal(c.info)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range c.want {
				if !strings.Contains(string(b), w) {
					t.Errorf("JSON %s lacks %s", b, w)
				}
			}
			for _, n := range c.not {
				if strings.Contains(string(b), n) {
					t.Errorf("JSON %s has %s", b, n)
				}
			}
			var back tlsengine.HTTPInfo
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, c.info) {
				t.Errorf("round trip: %+v, want %+v", back, c.info)
			}
		})
	}
}

// TestHTTPInfoJSONPlaceholder: a value history sealed reads back as its
// placeholder text, not as an error or garbage.
func TestHTTPInfoJSONPlaceholder(t *testing.T) {
	const ph = "[sealed: unlock the workspace to see it]"
	var h tlsengine.HTTPInfo
	doc := `{"status":200,"headers":{"Set-Cookie":["` + ph + `"]},"headers_base64":{"Set-Cookie":["` + ph + `"]},"body":"` + ph + `","body_encoding":"base64"}`
	if err := json.Unmarshal([]byte(doc), &h); err != nil {
		t.Fatal(err)
	}
	if string(h.Body) != ph || h.Headers["Set-Cookie"][0] != ph {
		t.Errorf("body %q, header %q; want the placeholder", h.Body, h.Headers["Set-Cookie"])
	}
}

func TestWithBodyHead(t *testing.T) {
	h := &tlsengine.HTTPInfo{Body: []byte("aéb"), BodyBytes: 4}
	if got := h.WithBodyHead(2); string(got.Body) != "a" || got.BodyBytes != 4 || string(h.Body) != "aéb" {
		t.Errorf("cut mid-rune: %q (%d bytes counted), original %q", got.Body, got.BodyBytes, h.Body)
	}
	if got := (&tlsengine.HTTPInfo{Body: []byte{0xff, 0xfe, 0xfd}}).WithBodyHead(2); !bytes.Equal(got.Body, []byte{0xff, 0xfe}) {
		t.Errorf("binary cut: %q", got.Body)
	}
	if got := h.WithBodyHead(10); got != h {
		t.Error("a short body is not copied")
	}
	if (*tlsengine.HTTPInfo)(nil).WithBodyHead(1) != nil {
		t.Error("no answer stays none")
	}
}

// FuzzHTTPInfoJSON: whatever the bytes, the JSON form gives them back.
func FuzzHTTPInfoJSON(f *testing.F) {
	f.Add("v\u009b\u202e", []byte(textBody))
	f.Add(rawHeader, []byte(binaryBody))
	f.Add("", []byte{})
	f.Fuzz(func(t *testing.T, value string, body []byte) {
		in := tlsengine.HTTPInfo{Status: 200, Headers: map[string][]string{"X-Fuzz": {value, "ok"}}, Body: body}
		b, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		var out tlsengine.HTTPInfo
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Body, body) || !reflect.DeepEqual(out.Headers, in.Headers) {
			t.Fatalf("round trip of %q / %q gave %q / %q", value, body, out.Headers, out.Body)
		}
	})
}
