package tlsengine

import (
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// LDAP: ldap:// upgrades with the StartTLS extended operation (RFC 4511
// 4.14); ldaps:// is TLS from the first byte. Inside TLS the client binds
// with SASL EXTERNAL when asked (--sasl-external: the server maps the
// certificate to an identity, or refuses it) and asks "Who am I?" (RFC
// 4532): the answer is the verdict. LDAP is BER; the few messages needed
// are encoded here, as a library (go-ldap) would cost more than they do.
var ldap = &mailish{proto: "LDAP", port: 389, tlsPort: 636, takes: []option{optSASLExternal},
	upgrade: func(s *session) error {
		if err := ldapSend(s, 1, ber(0x77, ber(0x80, []byte(oidStartTLS)))); err != nil {
			return err
		}
		res, err := ldapRead(s, "the StartTLS request")
		if err != nil {
			return err
		}
		if res.code != 0 {
			return &refusal{category: NotTLS, said: res.words(),
				summary: "the LDAP server refused StartTLS: it does not offer TLS on this port",
				hints:   []string{"give the server a certificate (OpenLDAP: olcTLSCertificateFile, olcTLSCertificateKeyFile), or use ldaps:// (port 636)"}}
		}
		return nil
	},
	after: func(s *session) (*Application, error) {
		app := &Application{Accepted: true}
		if s.a.req.Options.SASLExternal {
			// BindRequest: version 3, no name, SASL with mechanism EXTERNAL.
			bind := ber(0x60, append(append(ber(0x02, []byte{3}), ber(0x04, nil)...), ber(0xa3, ber(0x04, []byte("EXTERNAL")))...))
			if err := ldapSend(s, 2, bind); err != nil {
				return nil, err
			}
			res, err := ldapRead(s, "the SASL EXTERNAL bind")
			if err != nil {
				return nil, err
			}
			app.Code, app.Message = strconv.Itoa(res.code), "bind: "+res.words()
			if res.code != 0 {
				app.Accepted = false
				return app, ldapBindRefusal(s.a, res)
			}
		}
		if err := ldapSend(s, 3, ber(0x77, ber(0x80, []byte(oidWhoAmI)))); err != nil {
			return nil, err
		}
		res, err := ldapRead(s, "the Who am I? request")
		if err != nil {
			return nil, err
		}
		who := "anonymous"
		if len(res.value) > 0 {
			who = string(res.value)
		}
		if res.code != 0 {
			who = "not told (" + res.words() + ")"
		}
		if app.Code == "" {
			app.Code = strconv.Itoa(res.code)
			app.Message = "StartTLS and the certificate accepted; "
		} else {
			app.Message += "; "
		}
		app.Message += "the server knows this connection as " + who
		if !s.a.req.Options.SASLExternal {
			app.Next = "a bind: --sasl-external binds with the certificate"
		}
		_ = ldapSend(s, 4, []byte{0x42, 0}) // unbind
		return app, nil
	},
}

func init() { registerMailish(ldap, "ldap", "ldaps") }

const (
	oidStartTLS = "1.3.6.1.4.1.1466.20037"
	oidWhoAmI   = "1.3.6.1.4.1.4203.1.11.3"
)

// ber encodes one element: tag, definite length, content.
func ber(tag byte, content []byte) []byte {
	n := len(content)
	out := []byte{tag}
	switch {
	case n < 0x80:
		out = append(out, byte(n))
	case n < 0x100:
		out = append(out, 0x81, byte(n))
	default:
		out = append(out, 0x82, byte(n>>8), byte(n))
	}
	return append(out, content...)
}

// ldapSend sends an LDAPMessage with the operation op.
func ldapSend(s *session, id byte, op []byte) error {
	_, err := s.c.Write(ber(0x30, append(ber(0x02, []byte{id}), op...)))
	return err
}

// ldapResult is an LDAPResult, with an extended response's value.
type ldapResult struct {
	code        int
	diagnostic  string
	value       []byte
	unsolicited bool // a notice of disconnection (message id 0)
}

// ldapCodes names the result codes a client meets at this point.
var ldapCodes = map[int]string{0: "success", 1: "operationsError", 2: "protocolError", 7: "authMethodNotSupported",
	8: "strongerAuthRequired", 13: "confidentialityRequired", 48: "inappropriateAuthentication", 49: "invalidCredentials",
	50: "insufficientAccessRights", 51: "busy", 52: "unavailable", 53: "unwillingToPerform", 80: "other"}

func (r ldapResult) words() string {
	w := ldapCodes[r.code]
	if w == "" {
		w = "result " + strconv.Itoa(r.code)
	}
	if r.diagnostic != "" {
		w += ": " + r.diagnostic
	}
	return w
}

// ldapRead reads one response and its LDAPResult.
func ldapRead(s *session, asked string) (ldapResult, error) {
	tag, msg, err := berRead(s)
	if err != nil {
		return ldapResult{}, err
	}
	if tag != 0x30 {
		return ldapResult{}, otherProtocol(asked, append([]byte{tag}, msg...))
	}
	idTag, id, msg, err1 := berNext(msg)
	_, op, _, err2 := berNext(msg)
	if err := errors.Join(err1, err2); err != nil || idTag != 0x02 {
		return ldapResult{}, fmt.Errorf("a malformed LDAP message in answer to %s", asked)
	}
	var r ldapResult
	r.unsolicited = len(id) == 1 && id[0] == 0
	codeTag, code, op, err1 := berNext(op)
	_, _, op, err2 = berNext(op) // matchedDN
	_, diag, op, err3 := berNext(op)
	if err := errors.Join(err1, err2, err3); err != nil || codeTag != 0x0a {
		return ldapResult{}, fmt.Errorf("a malformed LDAP result in answer to %s", asked)
	}
	for _, b := range code {
		r.code = r.code<<8 | int(b)
	}
	r.diagnostic = string(diag)
	for len(op) > 0 {
		var tag byte
		var v []byte
		if tag, v, op, err = berNext(op); err != nil {
			break
		}
		if tag == 0x8b { // responseValue
			r.value = v
		}
	}
	if r.unsolicited {
		return r, &refusal{category: HTTPError, said: r.words(),
			summary: "the LDAP server ended the session with a notice of disconnection", hints: []string{"the server's log says why"}}
	}
	return r, nil
}

// berRead reads one element from the connection (at most 64 KiB).
func berRead(s *session) (byte, []byte, error) {
	tag, err := s.r.ReadByte()
	if err != nil {
		return 0, nil, err
	}
	l, err := s.r.ReadByte()
	if err != nil {
		return 0, nil, err
	}
	n := int(l)
	if l&0x80 != 0 {
		k := int(l & 0x7f)
		if k == 0 || k > 4 {
			return tag, []byte{l}, errors.New("an LDAP length that is not definite")
		}
		n = 0
		for range k {
			b, err := s.r.ReadByte()
			if err != nil {
				return 0, nil, err
			}
			n = n<<8 | int(b)
		}
	}
	if n > 64<<10 {
		return tag, nil, errors.New("an LDAP message over 64 KiB")
	}
	buf := make([]byte, n)
	_, err = io.ReadFull(s.r, buf)
	return tag, buf, err
}

// berNext splits the first element off b.
func berNext(b []byte) (tag byte, content, rest []byte, err error) {
	if len(b) < 2 {
		return 0, nil, nil, io.ErrUnexpectedEOF
	}
	tag, n, i := b[0], int(b[1]), 2
	if b[1]&0x80 != 0 {
		k := int(b[1] & 0x7f)
		if k == 0 || k > 4 || len(b) < 2+k {
			return 0, nil, nil, io.ErrUnexpectedEOF
		}
		n = 0
		for _, c := range b[2 : 2+k] {
			n = n<<8 | int(c)
		}
		i += k
	}
	if n < 0 || len(b) < i+n {
		return 0, nil, nil, io.ErrUnexpectedEOF
	}
	return tag, b[i : i+n], b[i+n:], nil
}

// ldapBindRefusal puts a refused SASL EXTERNAL bind in the categories.
func ldapBindRefusal(a *attempt, res ldapResult) error {
	rf := &refusal{said: res.words()}
	switch res.code {
	case 48, 49:
		rf.category = ClientCertRejected
		if a.req.ClientCert == nil {
			rf.category = ClientCertRequired
		}
		rf.summary = fmt.Sprintf("the LDAP server accepted TLS but not %s as a SASL EXTERNAL identity: “%s”", a.identity(), safetext.Line(res.words()))
		rf.hints = []string{"the server maps certificate subjects to entries (OpenLDAP: olcAuthzRegexp): check the mapping for this certificate's subject"}
	case 7:
		rf.category = HTTPError
		rf.summary = fmt.Sprintf("the LDAP server does not offer SASL EXTERNAL: “%s”", safetext.Line(res.words()))
		rf.hints = []string{"drop --sasl-external, or enable EXTERNAL in the server (it needs TLS with client certificates)"}
	case 50:
		rf.category = HTTPForbidden
		rf.summary = fmt.Sprintf("the LDAP server refused the bind: “%s”", safetext.Line(res.words()))
		rf.hints = []string{"the identity lacks the right to bind: check the server's access rules"}
	default:
		rf.category = HTTPError
		rf.summary = fmt.Sprintf("the LDAP bind failed: “%s”", safetext.Line(res.words()))
		rf.hints = []string{"the server's log says why"}
	}
	return rf
}
