package tui

import (
	"fmt"
	"strings"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
	"github.com/mtlswb/mtlswb/workspace"
)

// The request as sent: what will go on the wire, one key away from the
// form (v): the planner's preview of the form (the profile applied, the
// identity and trust decided) laid out field by field, then the planner's
// own explanation of each decision.

// sentLine is one fact of the request as sent: a label, the value, and
// where the value comes from when that is not the form.
type sentLine struct {
	label, value, from string
}

// sentLines lists spec as it will be sent; profile names the profile
// applied ("" for none), form is what the form alone says.
func sentLines(spec, form workspace.RequestSpec, profile string) []sentLine {
	from := func(changed bool) string {
		if changed && profile != "" {
			return "profile " + profile
		}
		return ""
	}
	method := strings.ToUpper(spec.Method)
	if method == "" {
		method = "GET"
	}
	var out []sentLine
	if spec.Probe {
		out = append(out, sentLine{"Probe", "the handshake only, no HTTP request", ""})
	} else {
		out = append(out, sentLine{"Request", method + " " + spec.URL, ""})
	}
	host, port := hostPort(spec.URL)
	if len(spec.Headers) == 0 {
		out = append(out, sentLine{"Headers", "none beyond Host (and Content-Length with a body)", ""})
	}
	for i, h := range spec.Headers {
		label := ""
		if i == 0 {
			label = "Headers"
		}
		out = append(out, sentLine{label, h, ""})
	}
	if spec.Body != "" {
		out = append(out, sentLine{"Body", fmt.Sprintf("%d bytes", len(spec.Body)), ""})
	}
	out = append(out, sentLine{"Connects to", host + ":" + port, ""})
	sni := spec.ServerName
	switch {
	case sni == "":
		out = append(out, sentLine{"SNI", host, "the URL's host"})
	default:
		out = append(out, sentLine{"SNI", sni, from(spec.ServerName != form.ServerName)})
	}
	out = append(out, sentLine{"ALPN offered", "h2, http/1.1", "mtlswb's default"})
	switch id := spec.Identity; id {
	case "":
		out = append(out, sentLine{"Identity", "none: no client certificate is sent", from(id != form.Identity)})
	case "auto":
		out = append(out, sentLine{"Identity", "auto: a probe first finds the one identity the server accepts", ""})
	default:
		out = append(out, sentLine{"Identity", id, from(id != form.Identity)})
	}
	var trust []string
	if spec.SystemRoots {
		trust = append(trust, "system roots")
	}
	trust = append(trust, spec.CAs...)
	if len(trust) == 0 {
		trust = []string{"nothing (the chain cannot verify)"}
	}
	trustChanged := spec.SystemRoots != form.SystemRoots || strings.Join(spec.CAs, ",") != strings.Join(form.CAs, ",")
	out = append(out, sentLine{"Trust", strings.Join(trust, ", "), from(trustChanged)})
	if spec.Insecure {
		out = append(out, sentLine{"Verification", "OFF: the server's certificate is not checked", ""})
	}
	lo, hi := orDefault(spec.TLSMin, "1.2"), orDefault(spec.TLSMax, "1.3")
	out = append(out, sentLine{"TLS", "from " + lo + " to " + hi, from(spec.TLSMin != form.TLSMin || spec.TLSMax != form.TLSMax)})
	out = append(out, sentLine{"Timeout", orDefault(spec.Timeout, defaultTimeout), from(spec.Timeout != form.Timeout)})
	return out
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

// sentView draws the request as sent in w cells.
func (s *composerScreen) sentView() string {
	st := &s.sh.styles
	form := s.spec(false)
	spec, profile := s.effective()
	var b strings.Builder
	b.WriteString(st.title.Render("Request as sent") + st.dim.Render(cut("  (v or esc returns to the form)", max(s.w-15, 0))) + "\n")
	k := &kv{st: st, labelW: 13, width: s.w}
	for _, l := range sentLines(spec, form, profile) {
		v := safetext.Line(l.value)
		if l.from != "" {
			v += "  ← " + safetext.Line(l.from)
		}
		k.line(l.label, v)
	}
	b.WriteString(k.b.String())
	if p, err := s.preview(); p != nil {
		b.WriteString(st.title.Render("Why") + "\n")
		for _, d := range p.Decisions {
			if d.Why == "" {
				continue // no profiles at all: nothing to explain
			}
			for i, l := range wrapLines(safetext.Line(d.Why), s.w-2) {
				lead := "• "
				if i > 0 {
					lead = "  "
				}
				b.WriteString(lead + l + "\n")
			}
		}
		if err != nil {
			for _, l := range wrapLines("! "+safetext.Line(err.Error()), s.w) {
				b.WriteString(st.warn.Render(l) + "\n")
			}
		}
	}
	for _, l := range wrapLines("Go's HTTP client adds Host, User-Agent, Accept-Encoding and, with a body, Content-Length; HTTP/2 sends header names in lower case.", s.w) {
		b.WriteString(st.dim.Render(l) + "\n")
	}
	return b.String()
}
