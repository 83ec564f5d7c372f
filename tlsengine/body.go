package tlsengine

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"unicode/utf8"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

const (
	// bodyKeepLimit is how much of a body HTTPInfo.Body keeps; bodyReadLimit
	// is how much is read (and counted) at all, so a huge download cannot
	// hold the attempt forever (Request.MaxResponse changes it).
	bodyKeepLimit = 1 << 20
	bodyReadLimit = 64 << 20
	previewLimit  = 4 << 10
)

// readResponse turns a response into HTTPInfo, reading the body within the
// engine's limits (maxRead bytes at most; 0 is bodyReadLimit). A body that fails
// midway still yields what arrived. Headers and body are kept as they came:
// the renderers sanitize them for a terminal, and the JSON form carries
// them exactly (httpjson.go).
func readResponse(resp *http.Response, to io.Writer, maxRead int64) (*HTTPInfo, error) {
	info := &HTTPInfo{
		Status:   resp.StatusCode,
		Proto:    resp.Proto,
		Headers:  copyHeaders(resp.Header),
		Location: resp.Header.Get("Location"),
	}
	keep, total, truncated, err := readBody(resp.Body, to, maxRead)
	info.Body, info.BodyBytes, info.BodyTruncated = keep, total, truncated
	info.BodyPreview, info.BodyBinary = preview(keep, total, resp.Header.Get("Content-Type"))
	if truncated {
		info.BodyPreview += fmt.Sprintf(" (stopped reading at %s)", sizeText(total))
	}
	if err != nil {
		return info, &phaseError{phase: PhaseResponse, err: err}
	}
	return info, nil
}

// copyHeaders copies h, never nil, so the JSON form always has an object.
func copyHeaders(h http.Header) map[string][]string {
	out := make(map[string][]string, len(h))
	for k, vs := range h {
		out[k] = slices.Clone(vs)
	}
	return out
}

// keepWriter keeps the first max bytes written and counts the rest.
type keepWriter struct {
	buf bytes.Buffer
	max int
}

func (w *keepWriter) Write(p []byte) (int, error) {
	if room := w.max - w.buf.Len(); room > 0 {
		w.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

// copyBufs spares every attempt a fresh 32 KiB copy buffer: io.Copy makes
// one when neither side can copy by itself, and the engine must cost no more
// than a plain client.
var copyBufs = sync.Pool{New: func() any { return new([32 << 10]byte) }}

// readBody reads up to maxRead bytes (bodyReadLimit when 0), keeping
// bodyKeepLimit of them; with to, it reads everything and writes it there
// too. truncated says the body went on past the limit: one more byte is
// read to tell a body of exactly maxRead bytes from a longer one.
func readBody(r io.Reader, to io.Writer, maxRead int64) (keep []byte, n int64, truncated bool, err error) {
	w := &keepWriter{max: bodyKeepLimit}
	sink, limit := bodySink(w, to, maxRead)
	src := r
	if limit >= 0 {
		src = io.LimitReader(r, limit)
	}
	buf := copyBufs.Get().(*[32 << 10]byte)
	defer copyBufs.Put(buf)
	n, err = io.CopyBuffer(sink, src, buf[:])
	if err == nil && limit >= 0 && n == limit {
		more, _ := r.Read(buf[:1])
		truncated = more > 0
	}
	return w.buf.Bytes(), n, truncated, err
}

// sizeText names a byte count as the --max-response flag would take it.
func sizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// preview is the text shown for a body: its first previewLimit bytes when
// it is text (as they came: a terminal shows them sanitized), or a one-line
// summary when it is not.
func preview(body []byte, total int64, contentType string) (string, bool) {
	if total == 0 {
		return "", false
	}
	head := body
	if len(head) > previewLimit {
		cut := previewLimit
		for cut > 0 && !utf8.RuneStart(head[cut]) {
			cut--
		}
		head = head[:cut]
	}
	if bytes.IndexByte(head, 0) >= 0 || !utf8.Valid(trimPartialRune(head)) {
		ct := ""
		if contentType != "" {
			ct = ", " + safetext.Line(contentType)
		}
		return fmt.Sprintf("binary body: %d bytes%s; starts % x", total, ct, head[:min(len(head), 16)]), true
	}
	text := string(head)
	if rest := total - int64(len(head)); rest > 0 {
		text += fmt.Sprintf("\n… %d more bytes", rest)
	}
	return text, false
}

// trimPartialRune drops an incomplete rune the body limit may have cut.
func trimPartialRune(b []byte) []byte {
	for i := 1; i <= utf8.UTFMax && i <= len(b); i++ {
		if utf8.RuneStart(b[len(b)-i]) {
			if !utf8.FullRune(b[len(b)-i:]) {
				return b[:len(b)-i]
			}
			break
		}
	}
	return b
}
