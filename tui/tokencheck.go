package tui

import (
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/mtlswb/mtlswb/tlsengine/boundtoken"
	"github.com/mtlswb/mtlswb/tlsengine/safetext"
	"github.com/mtlswb/mtlswb/workspace"
)

// The token check is `mtlswb token check` in a modal: paste an access token,
// see whether it is bound (RFC 8705) to the identity in the detail pane.
// Decoding is pure and cheap — no I/O, no private key — so it runs in
// Update, and the certificate it compares with is the one already loaded.

// printedIdentity is another identity the token may name instead.
type printedIdentity struct {
	name, sha256 string
}

// tokenCheck is what one check needs, captured by value when the modal
// opens so the modal does not reach back into the screen.
type tokenCheck struct {
	name   string
	cert   *x509.Certificate
	others []printedIdentity
	now    func() time.Time
	st     *styles
}

// tokenCheckForm opens the modal for identity e.
func (s *keystoreScreen) tokenCheckForm(e workspace.Entry) tea.Cmd {
	if e.Kind != workspace.KindIdentity {
		return nil
	}
	if s.rec == nil || s.rec.name != e.Name || s.rec.rec == nil || len(s.rec.rec.Chain) == 0 {
		s.sh.host.setInfo("open " + safetext.Line(e.Name) + "'s details first (enter), then press t to check a token against it")
		return nil
	}
	tc := tokenCheck{name: e.Name, cert: s.rec.rec.Chain[0], now: s.sh.now, st: &s.sh.styles}
	for _, o := range s.mine {
		if o.Name != e.Name {
			tc.others = append(tc.others, printedIdentity{o.Name, o.SHA256})
		}
	}
	return s.sh.host.openForm(tc.form(s.sh.host, nil))
}

// form is the modal with the verdict lines of the last check, if any, and
// an empty field for the next token.
func (tc tokenCheck) form(h host, verdict []string) *form {
	lines := []string{"Paste an access token (a JWT). It is decoded, NOT verified: its signature is not checked."}
	if verdict != nil {
		lines = append(lines, "")
		lines = append(lines, verdict...)
	}
	f := newForm("Is a token bound to "+safetext.Line(tc.name)+"? (RFC 8705)", lines...)
	f.addText("Token", "", "eyJ…")
	f.fields[0].input.CharLimit = boundtoken.MaxTokenSize
	f.submit = func(v []string) (tea.Cmd, error) {
		if strings.TrimSpace(v[0]) == "" {
			return nil, errors.New("paste a token first, or press esc")
		}
		// Opening the next form from submit keeps the modal up: the root
		// closes a form only while it is still the one shown.
		return h.openForm(tc.form(h, tc.verdict(v[0]))), nil
	}
	return f
}

// verdict checks raw and says so in a few lines, already safe to print.
// The first line names the token checked, since the field is empty again.
func (tc tokenCheck) verdict(raw string) []string {
	raw = strings.TrimSpace(raw)
	head := []rune(raw)
	if len(head) > 24 {
		head = append(head[:24], '…')
	}
	checked := tc.st.dim.Render(fmt.Sprintf("checked %s (%d characters)", safetext.Line(string(head)), len(raw)))
	out := []string{checked}
	tok, err := boundtoken.Parse(raw)
	if err != nil {
		return append(out, tc.st.bad.Render("✗ NOT A JWT")+"  "+safetext.Line(err.Error()))
	}
	claims := tokenClaimsLine(tok, tc.now())
	v, err := boundtoken.Check(tok, tc.cert)
	if err != nil {
		return append(out, tc.st.bad.Render("✗ NOT CERTIFICATE-BOUND")+"  "+safetext.Line(err.Error()), claims)
	}
	whose := safetext.Line(tc.name) + "'s certificate"
	if v.Bound {
		return append(out, tc.st.ok.Render("✓ BOUND")+"  "+v.Explain(whose), claims)
	}
	out = append(out, tc.st.bad.Render("✗ NOT BOUND")+"  "+v.Explain(whose))
	for _, o := range tc.others {
		if enc, ok := boundtoken.Names(tok.X5tS256, o.sha256); ok {
			note := "that is the thumbprint of identity " + safetext.Line(o.name)
			if enc != boundtoken.Base64URL {
				note += fmt.Sprintf(" (written as %s)", enc)
			}
			out = append(out, note)
			break
		}
	}
	return append(out, claims)
}

// tokenClaimsLine is the few claims that tell tokens apart: who, for whom,
// until when.
func tokenClaimsLine(tok *boundtoken.Token, now time.Time) string {
	claims := tok.SafeClaims()
	var parts []string
	for _, k := range []string{"sub", "iss", "aud"} {
		switch v := claims[k].(type) {
		case string:
			parts = append(parts, k+" "+v)
		case []any:
			var ss []string
			for _, x := range v {
				ss = append(ss, fmt.Sprint(x))
			}
			parts = append(parts, k+" "+strings.Join(ss, ","))
		}
	}
	if exp, ok := tok.ExpiresAt(); ok {
		if d := exp.Sub(now); d < 0 {
			parts = append(parts, "EXPIRED "+roughly(-d)+" ago")
		} else {
			parts = append(parts, "expires in "+roughly(d))
		}
	}
	if _, ok := claims["exp"].(json.Number); !ok {
		parts = append(parts, "no exp")
	}
	return strings.Join(parts, " · ")
}

// roughly writes d the way a person says it: access tokens live minutes to
// hours, test tokens sometimes days.
func roughly(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d.Hours()/24))
	case d >= time.Hour:
		return d.Round(time.Minute).String()
	}
	return d.Round(time.Second).String()
}
