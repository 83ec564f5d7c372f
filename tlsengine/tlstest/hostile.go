package tlstest

import "fmt"

// A hostile HTTP answer for StartRawHTTPS: escape sequences (OSC 52, CSI
// 2J), NUL, a C1 CSI, a bidi override, CR and bytes that are not UTF-8, in
// headers and bodies. Go's client refuses C0 controls in header values, so
// those are in the bodies only. A report's JSON must carry them exactly; a
// terminal must never receive them.
const (
	HostileHeader     = "v\u009b31m\u202e\tend" // X-C1: valid UTF-8
	HostileRawHeader  = "a\xff\x9b[2Jb"         // X-Raw: not UTF-8
	HostileLocation   = "/next\u009b2J"
	HostileTextBody   = "text\x1b]52;c;cGF3bmVk\x07\x00nul\r\nline \u202e two\n"
	HostileBinaryBody = "\xff\xfe\x1b[2J\x00\x9b6n"
)

// HostileAnswer is an HTTP/1.1 200 answer with the hostile headers (X-C1,
// X-Raw twice: the hostile value, then "second"; Location) and body.
func HostileAnswer(body string) []byte {
	return fmt.Appendf(nil, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-C1: %s\r\nX-Raw: %s\r\nX-Raw: second\r\n"+
		"Location: %s\r\nContent-Length: %d\r\n\r\n%s", HostileHeader, HostileRawHeader, HostileLocation, len(body), body)
}
