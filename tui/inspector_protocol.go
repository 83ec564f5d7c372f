package tui

import (
	"strings"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// renderApplication is the Response tab of a protocol other than HTTP: the
// server's verdict after the handshake (PostgreSQL's authentication, MQTT's
// CONNACK, gRPC's status) in its own words.
func renderApplication(st *styles, a *tlsengine.Application, w int) string {
	var b strings.Builder
	verdict := st.ok.Render(safetext.Line(a.Protocol) + ": accepted")
	if !a.Accepted {
		verdict = st.bad.Render(safetext.Line(a.Protocol) + ": refused")
	}
	b.WriteString(verdict + "\n\n")
	for _, kv := range [][2]string{{"code", a.Code}, {"answer", a.Message}, {"next", a.Next}} {
		if kv[1] == "" {
			continue
		}
		for i, l := range wrapLines(safetext.Line(kv[1]), max(w-8, 10)) {
			label := "        "
			if i == 0 {
				label = st.label.Render(fit(kv[0], 6)) + "  "
			}
			b.WriteString(label + l + "\n")
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}
