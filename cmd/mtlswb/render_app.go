package main

import (
	"fmt"
	"io"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// renderApplication prints the verdict of a protocol other than HTTP: what
// the server answered after the handshake, in its own words.
func renderApplication(w io.Writer, p painter, a *tlsengine.Application) {
	verdict := p.green("accepted")
	if !a.Accepted {
		verdict = p.red("refused")
	}
	fmt.Fprintf(w, "  %-8s %s\n", "verdict", verdict)
	for _, kv := range [][2]string{{"code", a.Code}, {"answer", a.Message}, {"next", a.Next}} {
		if kv[1] != "" {
			fmt.Fprintf(w, "  %-8s %s\n", kv[0], safetext.Line(kv[1]))
		}
	}
}
