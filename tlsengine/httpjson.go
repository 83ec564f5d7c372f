package tlsengine

import (
	"encoding/base64"
	"encoding/json"
	"unicode/utf8"
)

// # The exact JSON form of an answer
//
// A report's JSON is for programs: it keeps what the server sent byte for
// byte, and leaves sanitizing to whatever shows it on a terminal. JSON
// strings hold any valid UTF-8 (the encoder escapes control characters as
// \u001b and the like), so text goes as a string; anything else would be
// replaced by U+FFFD, so it goes as base64 beside the lossy string:
//
//	"headers":        {"X-Raw": ["a\ufffdb"]}   every header, values as strings
//	"headers_base64": {"X-Raw": ["Yf9i"]}       only headers with a value that is
//	                                            not UTF-8: all their values, exactly
//	"body":           "…"                       the body kept (the first MiB;
//	                                            body_bytes counts it all)
//	"body_encoding":  "base64"                  only when body is not UTF-8
//
// Header names are HTTP tokens (Go's client refuses others), so they are
// always plain strings. Decoding a report (history) restores the exact bytes.

// Encodings of "body_encoding" and of the values in "headers_base64".
const bodyBase64 = "base64"

// httpInfoFields is HTTPInfo without its JSON methods, so they can encode
// its fields without calling themselves.
type httpInfoFields HTTPInfo

type httpInfoJSON struct {
	httpInfoFields
	HeadersBase64 map[string][]string `json:"headers_base64,omitempty"`
	Body          string              `json:"body,omitempty"`
	BodyEncoding  string              `json:"body_encoding,omitempty"`
}

// MarshalJSON adds the body and the exact bytes of headers that are not
// UTF-8 to HTTPInfo's fields; see "The exact JSON form of an answer".
func (h HTTPInfo) MarshalJSON() ([]byte, error) {
	out := httpInfoJSON{httpInfoFields: httpInfoFields(h)}
	for name, values := range h.Headers {
		if !allUTF8(values) {
			if out.HeadersBase64 == nil {
				out.HeadersBase64 = map[string][]string{}
			}
			enc := make([]string, len(values))
			for i, v := range values {
				enc[i] = base64.StdEncoding.EncodeToString([]byte(v))
			}
			out.HeadersBase64[name] = enc
		}
	}
	if utf8.Valid(h.Body) {
		out.Body = string(h.Body)
	} else {
		out.Body, out.BodyEncoding = base64.StdEncoding.EncodeToString(h.Body), bodyBase64
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads what MarshalJSON wrote, restoring the exact bytes. A
// base64 value that does not decode (history's "[sealed: …]" placeholder
// in its place) is kept as the text it is.
func (h *HTTPInfo) UnmarshalJSON(b []byte) error {
	var in httpInfoJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	*h = HTTPInfo(in.httpInfoFields)
	for name, values := range in.HeadersBase64 {
		if h.Headers == nil {
			h.Headers = map[string][]string{}
		}
		dec := make([]string, len(values))
		for i, v := range values {
			dec[i] = string(fromBase64(v))
		}
		h.Headers[name] = dec
	}
	h.Body = nil
	switch {
	case in.BodyEncoding == bodyBase64:
		h.Body = fromBase64(in.Body)
	case in.Body != "":
		h.Body = []byte(in.Body)
	}
	return nil
}

// WithBodyHead returns a copy of h whose Body keeps at most its first n
// bytes, for a store of many answers (history); BodyBytes still counts the
// whole body. A text body is cut between characters, so it stays text.
func (h *HTTPInfo) WithBodyHead(n int) *HTTPInfo {
	if h == nil || len(h.Body) <= n {
		return h
	}
	c := *h
	cut := n
	if utf8.Valid(h.Body) {
		for cut > 0 && !utf8.RuneStart(h.Body[cut]) {
			cut--
		}
	}
	c.Body = h.Body[:cut:cut]
	return &c
}

func allUTF8(values []string) bool {
	for _, v := range values {
		if !utf8.ValidString(v) {
			return false
		}
	}
	return true
}

func fromBase64(s string) []byte {
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b
	}
	return []byte(s)
}
