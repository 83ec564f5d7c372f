package tui

import (
	"fmt"
	"strings"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// renderCompare shows two history attempts side by side, one row per fact,
// marking with ≠ the rows that differ.
func renderCompare(st *styles, a, b attempt, w int) string {
	colW := max((w-16)/2, 10)
	rows := []struct {
		label string
		a, b  string
	}{
		{"When", a.entry.At.UTC().Format("2006-01-02 15:04:05"), b.entry.At.UTC().Format("2006-01-02 15:04:05")},
		{"Request", reqLine(a), reqLine(b)},
		{"Identity", orDash(a.spec.Identity), orDash(b.spec.Identity)},
		{"Result", resultLine(a.report), resultLine(b.report)},
		{"Status", statusLine(a.report), statusLine(b.report)},
		{"Category", categoryLine(a.report), categoryLine(b.report)},
		{"TLS", orDash(a.report.TLS.Version), orDash(b.report.TLS.Version)},
		{"Cert sent", certSent(a.report), certSent(b.report)},
		{"Server chain", chainLine(a.report), chainLine(b.report)},
		{"Chain verdict", verifLine(a.report), verifLine(b.report)},
		{"TLS handshake", fmt.Sprintf("%.1f ms", a.report.Timing.TLSMs), fmt.Sprintf("%.1f ms", b.report.Timing.TLSMs)},
		{"Total", fmt.Sprintf("%.1f ms", a.report.Timing.TotalMs), fmt.Sprintf("%.1f ms", b.report.Timing.TotalMs)},
	}
	var out strings.Builder
	out.WriteString(fit("", 14) + "  " + st.label.Render(fit(fmt.Sprintf("#%d (marked)", a.entry.ID), colW)) + "  " + st.label.Render(fit(fmt.Sprintf("#%d", b.entry.ID), colW)) + "\n")
	for _, r := range rows {
		av, bv := safetext.Line(r.a), safetext.Line(r.b)
		al, bl := wrapLines(av, colW), wrapLines(bv, colW)
		diff := av != bv
		for i := 0; i < max(len(al), len(bl)); i++ {
			lab := fit("", 14)
			mark := "  "
			if i == 0 {
				lab = fit(r.label, 14)
				if diff {
					mark = st.warn.Render("≠ ")
				}
			}
			var x, y string
			if i < len(al) {
				x = al[i]
			}
			if i < len(bl) {
				y = bl[i]
			}
			if diff {
				out.WriteString(mark + st.label.Render(lab) + st.warn.Render(fit(x, colW)) + "  " + st.warn.Render(y) + "\n")
			} else {
				out.WriteString(mark + st.label.Render(lab) + fit(x, colW) + "  " + y + "\n")
			}
		}
	}
	return strings.TrimSuffix(out.String(), "\n")
}

func reqLine(a attempt) string {
	m := a.spec.Method
	if a.spec.Probe {
		m = "PROBE"
	}
	if m == "" {
		m = a.entry.Method
	}
	return m + " " + a.spec.URL
}

func resultLine(r tlsengine.Report) string {
	if r.OK {
		return "ok"
	}
	return "failed"
}

func statusLine(r tlsengine.Report) string {
	if r.HTTP == nil {
		return "-"
	}
	return fmt.Sprint(r.HTTP.Status)
}

func categoryLine(r tlsengine.Report) string {
	if r.Failure == nil {
		return "-"
	}
	return string(r.Failure.Category)
}

func certSent(r tlsengine.Report) string {
	if r.TLS.ClientCertSent == nil {
		return "none"
	}
	return r.TLS.ClientCertSent.Subject
}

func chainLine(r tlsengine.Report) string {
	if len(r.TLS.ServerChain) == 0 {
		return "-"
	}
	var parts []string
	for _, l := range r.TLS.ServerChain {
		v := l.Subject
		if l.Verdict != "ok" && l.Verdict != "" {
			v += " ✗"
		}
		parts = append(parts, v)
	}
	return strings.Join(parts, " ← ")
}

func verifLine(r tlsengine.Report) string {
	if r.TLS.Verification.OK {
		return "ok"
	}
	return orDash(r.TLS.Verification.Error)
}
