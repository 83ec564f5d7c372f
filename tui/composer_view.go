package tui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/textarea"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// view draws the form one line per field, then the pre-flight summary; an
// open picker replaces the whole form.
func (s *composerScreen) view() string {
	st := &s.sh.styles
	if s.picking != pickNone {
		title := "Choose the identity to present"
		if s.picking == pickTrust {
			title = "Trust: space toggles, enter closes"
		}
		s.filter.SetWidth(max(s.w-4, 4))
		return st.title.Render(title) + "\n" + s.filter.View() + "\n" + s.pick.view(st, true) + "\n" + st.dim.Render(s.pick.position())
	}
	if s.asSent {
		return s.sentView()
	}
	lines, top, bottom, _ := s.formLines()
	return strings.Join(windowLines(st, lines, top, bottom, s.h), "\n")
}

// formLines is the form line by line: top and bottom are the lines of the
// field in focus (or of the progress line while sending), fieldOf says
// which field each line belongs to (cfCount for none).
func (s *composerScreen) formLines() (lines []string, top, bottom int, fieldOf []cField) {
	st := &s.sh.styles
	add := func(block string, f cField) {
		for _, l := range strings.Split(block, "\n") {
			lines = append(lines, l)
			fieldOf = append(fieldOf, f)
		}
	}
	add(s.titleLine(), cfCount)
	for f := cfMethod; f < cfCount; f++ {
		if !s.shown(f) {
			continue
		}
		if f == s.focus {
			top = len(lines)
		}
		add(s.fieldLine(f), f)
		if f == s.focus {
			bottom = len(lines) - 1
		}
	}
	present, warns := s.preflight()
	add(st.title.Render("Pre-flight"), cfCount)
	add(cut("→ presents "+present, s.w), cfCount)
	if which := s.whichLine(); which != "" {
		add(st.dim.Render(cut("→ "+which, s.w)), cfCount)
	}
	if s.insecure {
		add(st.loud.Render(fit(" ! INSECURE: the server's certificate is NOT verified; anyone in the path can impersonate it ", s.w)), cfCount)
	}
	for _, w := range warns {
		add(st.warn.Render(cut("! "+w, s.w)), cfCount)
	}
	if s.sending {
		verb := "sending"
		if s.probe {
			verb = "probing"
		}
		el := s.sh.now().Sub(s.started).Round(100 * time.Millisecond)
		add(s.spin.View()+fmt.Sprintf(" %s … %s (esc cancels)", verb, el), cfCount)
		// The progress line stays in view whatever has the focus.
		top, bottom = len(lines)-1, len(lines)-1
	}
	return lines, top, bottom, fieldOf
}

// titleLine names the request: the saved request it was loaded from, and
// whether the form holds edits not saved.
func (s *composerScreen) titleLine() string {
	st := &s.sh.styles
	t := st.title.Render("Request")
	if s.loadedName != "" {
		t += st.dim.Render(" · " + safetext.Line(s.loadedName))
	}
	if s.dirty() {
		t += st.warn.Render(" ● unsaved") + st.dim.Render(" (ctrl+w saves)")
	}
	return t
}

func (s *composerScreen) fieldLine(f cField) string {
	st := &s.sh.styles
	labels := map[cField]string{cfMethod: "Method", cfURL: "URL", cfHeaders: "Headers", cfBody: "Body", cfIdentity: "Identity",
		cfTrust: "Trust", cfSNI: "SNI", cfTLSMin: "TLS min", cfTLSMax: "TLS max", cfInsecure: "Insecure", cfTimeout: "Timeout"}
	pointer := "  "
	if f == s.focus {
		pointer = st.focus.Render("> ")
	}
	if l, ok := protoLabels[f]; ok {
		labels[f] = l
	}
	label := st.label.Render(fit(labels[f], 9))
	var val string
	switch f {
	case cfMethod:
		val = "◂ " + safetext.Line(s.methodName()) + " ▸"
		if s.editing && s.focus == cfMethod {
			val = s.method.View()
		}
	case cfURL:
		val = s.url.View()
	case cfHeaders:
		val = indentRest(s.areaView(&s.headers, f), 13)
	case cfBody:
		val = indentRest(s.areaView(&s.body, f), 13)
	case cfIdentity:
		name := "(none)"
		switch s.identity {
		case identityByProfile:
			if sel, ok := s.selection(); ok && sel.Matched {
				name = "(profile " + safetext.Line(sel.Profile) + ": " + safetext.Line(sel.Identity) + ")"
			}
		case identityNone:
			name = "(none, whatever the profiles say)"
		case identityAuto:
			name = "auto"
		default:
			name = safetext.Line(s.identity)
		}
		val = "◂ " + name + " ▸"
		if v, ok := s.verdicts[s.identity]; ok && s.identity != "" {
			if v.Accepted {
				val += "  " + st.ok.Render("✓ server accepts")
			} else {
				val += "  " + st.bad.Render("✗ "+safetext.Line(v.Reason))
			}
		}
		if len(s.verdicts) > 0 {
			n := 0
			for _, v := range s.verdicts {
				if v.Accepted {
					n++
				}
			}
			val += st.dim.Render(fmt.Sprintf("  (%d accepted, enter lists)", n))
		}
	case cfTrust:
		val = s.trustLine()
	case cfSNI:
		val = s.sni.View()
	case cfTLSMin:
		val = "◂ " + tlsVersions[s.tlsMin] + " ▸"
	case cfTLSMax:
		val = "◂ " + tlsVersions[s.tlsMax] + " ▸"
	case cfInsecure:
		if s.insecure {
			val = st.loud.Render(" ON: server certificate not verified ")
		} else {
			val = "off"
		}
	case cfTimeout:
		val = s.timeout.View()
	default:
		val = s.protoLine(f)
	}
	return cut(pointer+label+"  ", s.w) + val
}

// indentRest indents every line but the first, so a multi-line input sits
// under its label's value column.
func indentRest(s string, n int) string {
	return strings.ReplaceAll(s, "\n", "\n"+strings.Repeat(" ", n))
}

// areaView draws a multi-line field. Only the one being typed into needs
// the textarea's own view (cursor, scrolling); the others are drawn here,
// wrapped like the textarea wraps, at a fraction of its cost (the textarea
// measures every cell of its height on every frame).
func (s *composerScreen) areaView(a *textarea.Model, f cField) string {
	if s.editing && s.focus == f {
		return a.View()
	}
	st := &s.sh.styles
	w, h := a.Width(), a.Height()
	var lines []string
	if a.Value() == "" {
		lines = []string{st.dim.Render(cut(a.Placeholder, w))}
	} else {
		for _, l := range strings.Split(a.Value(), "\n") {
			for _, wl := range wrapLines(safetext.Line(l), w) {
				lines = append(lines, wl)
				if len(lines) == h {
					break
				}
			}
			if len(lines) == h {
				break
			}
		}
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}
