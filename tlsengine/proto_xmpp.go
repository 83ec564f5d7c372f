package tlsengine

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// XMPP: xmpp:// opens a client stream and upgrades with STARTTLS (RFC 6120
// 5). Inside TLS the client opens the stream again, and the features the
// server offers are the verdict: SASL EXTERNAL among the mechanisms means
// it would log in with the certificate.
var xmpp = &mailish{proto: "XMPP", port: 5222,
	upgrade: func(s *session) error {
		features, err := xmppOpen(s)
		if err != nil {
			return err
		}
		if !features.startTLS {
			return &refusal{category: NotTLS, said: features.String(),
				summary: "the XMPP server does not offer STARTTLS: it cannot take a client certificate on this port",
				hints:   []string{"give the server a certificate and turn TLS on (Prosody: c2s_require_encryption; ejabberd: starttls)"}}
		}
		if _, err := io.WriteString(s.c, "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"); err != nil {
			return err
		}
		el, err := xmppNext(xml.NewDecoder(s.r))
		if err != nil {
			return err
		}
		if el.Name.Local != "proceed" {
			return &refusal{category: NotTLS, said: "<" + el.Name.Local + "/>",
				summary: "the XMPP server refused STARTTLS", hints: []string{"its TLS setup may be broken: see its log"}}
		}
		return nil
	},
	after: func(s *session) (*Application, error) {
		features, err := xmppOpen(s)
		if err != nil {
			return nil, err
		}
		_, _ = io.WriteString(s.c, "</stream:stream>")
		app := &Application{Accepted: true, Message: "stream features " + features.String()}
		if !features.external {
			app.Next = "a login: the server does not offer SASL EXTERNAL, so it does not log in by certificate"
		}
		return app, nil
	},
}

func init() { registerMailish(xmpp, "xmpp", "") }

// xmppFeatures is what <stream:features> offered.
type xmppFeatures struct {
	startTLS, external bool
	mechanisms         []string
}

func (f xmppFeatures) String() string {
	var parts []string
	if f.startTLS {
		parts = append(parts, "STARTTLS")
	}
	if len(f.mechanisms) > 0 {
		parts = append(parts, "SASL "+strings.Join(f.mechanisms, " "))
	}
	if len(parts) == 0 {
		return "(none)"
	}
	return strings.Join(parts, ", ")
}

// xmppOpen opens a client stream to the server's domain and reads its
// stream header and features.
func xmppOpen(s *session) (xmppFeatures, error) {
	header := fmt.Sprintf("<?xml version='1.0'?><stream:stream to='%s' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>", xmlEscape(s.host))
	if _, err := io.WriteString(s.c, header); err != nil {
		return xmppFeatures{}, err
	}
	d := xml.NewDecoder(s.r)
	el, err := xmppNext(d)
	if err != nil {
		return xmppFeatures{}, err
	}
	if el.Name.Local != "stream" {
		return xmppFeatures{}, otherProtocol("an XMPP stream header", []byte("<"+el.Name.Local))
	}
	var f xmppFeatures
	el, err = xmppNext(d)
	if err != nil {
		return f, err
	}
	switch el.Name.Local {
	case "features":
	case "error":
		cond, _ := xmppNext(d)
		return f, xmppStreamError(s, cond.Name.Local)
	default:
		return f, otherProtocol("an XMPP stream header", []byte("<"+el.Name.Local))
	}
	// Inside <features>: <starttls>, <mechanisms><mechanism>NAME</...>.
	depth := 1
	inMech := false
	for depth > 0 {
		tok, err := d.Token()
		if err != nil {
			return f, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			switch t.Name.Local {
			case "starttls":
				f.startTLS = true
			case "mechanism":
				inMech = true
			}
		case xml.EndElement:
			depth--
			inMech = false
		case xml.CharData:
			if inMech && len(f.mechanisms) < 20 {
				m := strings.TrimSpace(string(t))
				f.mechanisms = append(f.mechanisms, m)
				f.external = f.external || strings.EqualFold(m, "EXTERNAL")
			}
		}
	}
	return f, nil
}

// xmppNext returns the next start element.
func xmppNext(d *xml.Decoder) (xml.StartElement, error) {
	for range 100 {
		tok, err := d.Token()
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return xml.StartElement{}, otherProtocol("an XMPP stream header", []byte(se.Msg))
			}
			return xml.StartElement{}, err
		}
		if el, ok := tok.(xml.StartElement); ok {
			return el, nil
		}
	}
	return xml.StartElement{}, errors.New("no XML element from the server")
}

func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return strings.ReplaceAll(b.String(), "'", "&apos;")
}

// xmppStreamError words a <stream:error> by its condition (RFC 6120 4.9.3).
func xmppStreamError(s *session, cond string) error {
	rf := &refusal{category: HTTPError, said: "<stream:error><" + cond + "/>",
		summary: "the XMPP server closed the stream with the error " + cond,
		hints:   []string{"the server's log says why"}}
	switch cond {
	case "not-authorized", "policy-violation":
		if s.a != nil {
			rf.category = ClientCertRejected
			if s.a.req.ClientCert == nil {
				rf.category = ClientCertRequired
			}
			rf.summary = fmt.Sprintf("the XMPP server accepted TLS but refused %s: stream error %s", s.a.identity(), cond)
		}
	case "host-unknown":
		rf.hints = []string{"the stream names the URL's host (or the server name) as the XMPP domain: name the domain the server serves"}
	}
	return rf
}
