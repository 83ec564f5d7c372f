package tui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/lipgloss/v2"

	"github.com/mtlswb/mtlswb/tlsengine/certinfo"
	"github.com/mtlswb/mtlswb/tlsengine/revocation"
	"github.com/mtlswb/mtlswb/tlsengine/safetext"
	"github.com/mtlswb/mtlswb/workspace"
)

// renderDetail lays the loaded record out for the detail viewport. It runs
// when the record or the size changes, not on every frame.
func (s *keystoreScreen) renderDetail() {
	w := s.detail.Width()
	if w <= 0 {
		return
	}
	if s.rec == nil || s.rec.rec == nil {
		msg := "select an entry to see its certificate"
		if s.list.filter != "" && len(s.list.visible) == 0 {
			msg = "no match for “" + safetext.Line(s.list.filter) + "”: nothing to show"
		}
		s.detail.SetContent(s.sh.styles.dim.Render(cut(msg, w)))
		return
	}
	s.detail.SetContent(renderRecord(&s.sh.styles, s.rec, s.sh.now(), w))
}

// kv writes "label  value" lines, wrapping the value under itself.
type kv struct {
	b      strings.Builder
	st     *styles
	labelW int
	width  int
}

func (k *kv) line(label, value string) {
	k.styled(label, value, lipgloss.NewStyle())
}

func (k *kv) styled(label, value string, vs lipgloss.Style) {
	valW := max(k.width-k.labelW-2, 10)
	lines := wrapLines(value, valW)
	for i, l := range lines {
		lab := strings.Repeat(" ", k.labelW)
		if i == 0 {
			lab = k.st.label.Render(fit(label, k.labelW))
		}
		if !k.st.plain {
			l = vs.Render(l)
		}
		k.b.WriteString(lab + "  " + l + "\n")
	}
}

// chunked writes a long opaque value (a fingerprint) in equal pieces that
// fit, instead of wherever wrapping happens to cut it.
func (k *kv) chunked(label, value string) {
	valW := max(k.width-k.labelW-2, 10)
	n := len(value)
	parts := 1
	for (n+parts-1)/parts > valW && parts < 8 {
		parts *= 2
	}
	size := (n + parts - 1) / parts
	var chunks []string
	for i := 0; i < n; i += size {
		chunks = append(chunks, value[i:min(i+size, n)])
	}
	k.line(label, strings.Join(chunks, "\n"))
}

func (k *kv) raw(s string) { k.b.WriteString(s + "\n") }

func renderRecord(st *styles, r *recordLoadedMsg, now time.Time, width int) string {
	rec := r.rec
	k := &kv{st: st, labelW: 12, width: width}
	if len(rec.Chain) == 0 {
		k.line("Name", safetext.Line(rec.Name))
		k.line("Problem", "the record holds no certificate")
		return k.b.String()
	}
	leaf := rec.Chain[0]
	info := certinfo.Describe(leaf)
	kind := "identity"
	if rec.Kind == workspace.KindCA {
		kind = "CA"
	}
	keyNote := "private key in the workspace"
	if !rec.HasKey {
		keyNote = "no private key"
	}
	k.line("Name", safetext.Line(rec.Name)+"  ("+kind+", "+keyNote+")")
	k.line("Subject", info.Subject)
	k.line("Issuer", info.Issuer)
	k.chunked("Serial", info.Serial)
	k.styled("Valid", validity(info.NotBefore, info.NotAfter, now), validityStyle(st, info.NotBefore, info.NotAfter, now))
	k.line("Key", info.KeyType)
	k.line("Signature", info.SignatureAlgorithm)
	if info.IsCA {
		pl := "unlimited"
		if info.MaxPathLen != nil {
			pl = fmt.Sprint(*info.MaxPathLen)
		}
		k.line("CA", "yes, path length "+pl)
	}
	var sans []string
	for _, d := range info.DNSNames {
		sans = append(sans, "DNS:"+d)
	}
	for _, ip := range info.IPAddresses {
		sans = append(sans, "IP:"+ip)
	}
	for _, u := range info.URIs {
		tag := "URI:"
		if strings.HasPrefix(u, "spiffe://") {
			tag = "SPIFFE:"
		}
		sans = append(sans, tag+u)
	}
	for _, e := range info.Emails {
		sans = append(sans, "email:"+e)
	}
	if len(sans) == 0 {
		k.line("SANs", "none")
	} else {
		k.line("SANs", strings.Join(sans, "\n"))
	}
	k.line("Key usage", orNone(info.KeyUsage))
	switch {
	case rec.Kind == workspace.KindIdentity && !info.ClientAuth:
		k.styled("EKU", orNone(info.ExtKeyUsage)+"\n! no clientAuth: servers that check usage will reject this certificate", st.warn)
	default:
		k.line("EKU", orNone(info.ExtKeyUsage))
	}
	k.chunked("SHA-256", info.SHA256)
	k.chunked("SPKI SHA-256", info.SPKISHA256)
	k.chunked("x5t#S256", info.X5tS256)
	switch rv := r.revocation; {
	case rv != nil && rv.State == revocation.Revoked:
		k.styled("Revocation", safetext.Line(rv.Summary()), st.bad)
	case rv != nil:
		k.line("Revocation", safetext.Line(rv.Summary()))
	case rec.Kind == workspace.KindIdentity && wantsRevocation(leaf):
		k.styled("Revocation", "checking its CRL / OCSP responder…", st.dim)
	}
	if rec.Source != "" {
		k.line("Source", safetext.Line(rec.Source))
	}
	if len(rec.Labels) > 0 {
		k.line("Labels", safetext.Line(strings.Join(rec.Labels, ", ")))
	}
	k.raw("")
	k.raw(st.title.Render("Chain"))
	for i, l := range r.links {
		indent := strings.Repeat("   ", max(i-1, 0))
		branch := ""
		if i > 0 {
			branch = "└─ "
		}
		mark, ms := "✓", st.ok
		if !l.ok {
			mark, ms = "✗", st.bad
		}
		head := indent + branch + safetext.Line(l.subject)
		src := ""
		if l.from != "record" {
			src = " (" + safetext.Line(l.from) + ")"
		}
		k.raw(cut(head+st.dim.Render(src), width))
		pad := strings.Repeat(" ", lipgloss.Width(indent+branch))
		k.raw(cut(pad+ms.Render(mark+" "+safetext.Line(l.verdict)), width))
	}
	k.raw("")
	if r.ok {
		k.raw(st.ok.Render(cut("✓ chain verifies to a workspace CA", width)))
	} else {
		for _, l := range wrapLines("✗ "+safetext.Line(r.detail), width) {
			k.raw(st.bad.Render(l))
		}
	}
	return strings.TrimSuffix(k.b.String(), "\n")
}

func orNone(ss []string) string {
	if len(ss) == 0 {
		return "none"
	}
	return safetext.Line(strings.Join(ss, ", "))
}

func validity(nb, na, now time.Time) string {
	const day = "2006-01-02 15:04"
	s := nb.UTC().Format(day) + " → " + na.UTC().Format(day) + " UTC"
	switch d := certinfo.DaysUntil(na, now); {
	case now.Before(nb):
		s += "\nnot valid yet"
	case d < 0:
		s += fmt.Sprintf("\nEXPIRED %d days ago", -d)
	default:
		s += fmt.Sprintf("\nexpires in %d days", d)
	}
	return s
}

func validityStyle(st *styles, nb, na, now time.Time) lipgloss.Style {
	switch {
	case now.Before(nb) || now.After(na):
		return st.bad
	case na.Sub(now) <= expiringSoon:
		return st.warn
	}
	return lipgloss.NewStyle()
}
