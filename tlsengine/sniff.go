package tlsengine

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// Detection: a server that speaks another protocol than the one tried. A
// mail server greets an HTTPS client with "220", PostgreSQL closes on a
// ClientHello it was not told to expect, an MQTT broker closes on an HTTP
// request: none of these is a certificate's rejection, and each has a
// scheme that works. The passive checks read what the server sent; the
// active ones (an SSLRequest, an MQTT CONNECT) open one more connection,
// only after a failure that looks like one of them and never through a
// proxy.

// spoken is a protocol recognized in a server's bytes.
type spoken struct {
	scheme string // the scheme that speaks it; "" when mtlswb does not
	what   string // its name and the evidence, for a sentence
}

// sniffWait bounds an active check: a server that speaks the protocol
// answers at once.
const sniffWait = time.Second

// greetingWord is the protocol a 220 greeting names: "smtp" for a word
// with SMTP in it (ESMTP), "ftp" for one with FTP in it (vsFTPd), or ""
// when it names neither. No regexp: compiling one at
// start-up would cost every command half a millisecond.
func greetingWord(s string) string {
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	}) {
		switch {
		case strings.Contains(w, "smtp"):
			return "smtp"
		case strings.Contains(w, "ftp"), w == "filezilla": // vsFTPd, ProFTPD, Pure-FTPd
			return "ftp"
		}
	}
	return ""
}

// recognize names the protocol of a server's first bytes; tls says whether
// they came inside TLS (an implicit-TLS port: smtps:// rather than smtp://).
func recognize(b []byte, inTLS bool) (spoken, bool) {
	s := string(b)
	sp := spoken{}
	switch {
	case len(b) >= 5 && b[3] == 0 && (b[4] == 0x0a || b[4] == 0xff):
		// A MySQL packet: 3-byte length, sequence 0, then protocol 10
		// (the handshake) or 0xff (an error such as "host not allowed").
		sp = spoken{"mysql", "MySQL or MariaDB (its handshake packet)"}
	case strings.HasPrefix(s, "220"):
		switch greetingWord(s) {
		case "ftp":
			sp = spoken{"ftp", "FTP (a 220 greeting)"}
		case "":
			sp = spoken{"smtp", "SMTP or FTP (a 220 greeting)"}
		default:
			sp = spoken{"smtp", "SMTP (a 220 greeting)"}
		}
	case strings.HasPrefix(s, "* OK"), strings.HasPrefix(s, "* PREAUTH"):
		sp = spoken{"imap", "IMAP (an * OK greeting)"}
	case strings.HasPrefix(s, "+OK"):
		sp = spoken{"pop3", "POP3 (a +OK greeting)"}
	case strings.HasPrefix(s, "<?xml"), strings.HasPrefix(s, "<stream:"):
		sp = spoken{"xmpp", "XMPP (an XML stream)"}
	case strings.HasPrefix(s, "SSH-"):
		return spoken{"", "SSH"}, true
	default:
		return spoken{}, false
	}
	if inTLS {
		switch sp.scheme {
		case "smtp", "imap", "pop3":
			sp.scheme += "s"
		case "ftp", "xmpp", "mysql":
			sp.scheme = "" // implicit TLS that mtlswb does not speak
		}
	}
	return sp, true
}

// otherProtoError is a preamble or exchange that heard another protocol:
// inOwnWords turns it into a refusal with the command that works.
type otherProtoError struct {
	asked string // what was sent: "PostgreSQL's SSLRequest"
	heard []byte
}

func (e *otherProtoError) Error() string {
	return fmt.Sprintf("the server answered %s with %q", e.asked, safetext.Line(string(e.heard)))
}

func otherProtocol(asked string, heard []byte) error {
	return &otherProtoError{asked: asked, heard: bytes.Clone(heard)}
}

// elsewhere is the refusal for a server that speaks sp, with the command
// that reaches it.
func (a *attempt) elsewhere(category Category, sp spoken, summary string, detail string) *refusal {
	rf := &refusal{category: category, detail: detail,
		summary: fmt.Sprintf("%s: it looks like %s", summary, sp.what)}
	if sp.scheme != "" {
		rf.hints = append(rf.hints, "speak its protocol: "+a.req.commandFor(sp.scheme+"://"+a.tgt.addr))
	} else {
		rf.hints = append(rf.hints, "mtlswb cannot present a client certificate to it on this port: use the port where it speaks TLS")
	}
	return rf
}

// heardOther words an otherProtoError.
func (a *attempt) heardOther(op *otherProtoError, phase Phase) error {
	detail := fmt.Sprintf("it answered %s with %q", op.asked, safetext.Line(string(op.heard)))
	summary := fmt.Sprintf("the server on %s does not speak %s", safetext.Line(a.tgt.addr), a.tgt.proto.name())
	sp, ok := recognize(op.heard, phase != PhasePreamble)
	if !ok {
		return &phaseError{phase: phase, err: &refusal{category: NotTLS, detail: detail,
			summary: summary + ": its answer is not " + a.tgt.proto.name(),
			hints:   []string{"check the host and port: " + a.tgt.proto.name() + " may listen on another one"}}}
	}
	return &phaseError{phase: phase, err: a.elsewhere(NotTLS, sp, summary, detail)}
}

// malformed is what net/http quotes of a response that is not HTTP
// ("malformed HTTP response \"220 ...\""), "" when err is not that.
func malformed(err error) string {
	msg := err.Error()
	for _, marker := range []string{"malformed HTTP response ", "malformed HTTP status code "} {
		if i := strings.Index(msg, marker); i >= 0 {
			if q, err := strconv.QuotedPrefix(msg[i+len(marker):]); err == nil {
				s, _ := strconv.Unquote(q)
				return s
			}
		}
	}
	return ""
}

// sniff looks, after an https:// or tls:// attempt failed, for the protocol
// the server speaks instead. It returns err unchanged when it finds none.
func (a *attempt) sniff(ctx context.Context, err error) error {
	ev := a.evidence(nil, err, nil)
	phase := ev.phase
	isAlert := ev.alert != nil
	switch {
	case ev.recordHeader != nil:
		first := ev.first
		if len(first) == 0 {
			first = ev.recordHeader.RecordHeader[:]
		}
		sp, ok := recognize(first, false)
		if !ok || sp.scheme == "" {
			return err // plain HTTP, SSH, noise: the diagnosis says it
		}
		return &phaseError{phase: PhaseHandshake, err: a.elsewhere(NotTLS, sp,
			fmt.Sprintf("the server on %s does not speak TLS first", safetext.Line(a.tgt.addr)),
			fmt.Sprintf("it answered the TLS ClientHello with %q", safetext.Line(string(first))))}
	case (isAlert && ev.alert.number == 120) || (phase == PhaseHandshake && !ev.handshakeDone && !isAlert && ev.closed && len(ev.first) == 0):
		// PostgreSQL before 17 closes on a ClientHello it did not ask for;
		// 17 takes it as direct TLS but refuses any ALPN but its own.
		if !a.answersSSLRequest(ctx) {
			return err
		}
		how := "closed the connection on the TLS ClientHello without a word"
		if isAlert {
			how = "refused the ALPN names offered (alert 120, no_application_protocol), as PostgreSQL 17 does for direct TLS"
		}
		return &phaseError{phase: PhaseHandshake, err: a.elsewhere(NotTLS, spoken{"postgres", "PostgreSQL, which wants its SSLRequest before TLS"},
			fmt.Sprintf("the server on %s does not start TLS on a ClientHello", safetext.Line(a.tgt.addr)),
			"it "+how+"; asked with an SSLRequest on a second connection, it answered as PostgreSQL does")}
	case phase != PhaseHandshake && !isAlert:
		if heard := malformed(err); heard != "" {
			if sp, ok := recognize([]byte(heard), true); ok {
				return &phaseError{phase: PhaseResponse, err: a.elsewhere(HTTPError, sp,
					fmt.Sprintf("the server on %s speaks TLS but not HTTP", safetext.Line(a.tgt.addr)),
					fmt.Sprintf("after the handshake it sent %q", safetext.Line(heard)))}
			}
		}
		if ev.closed && a.acceptedTLS() && a.answersMQTT(ctx) {
			return &phaseError{phase: PhaseResponse, err: a.elsewhere(HTTPError, spoken{"mqtts", "an MQTT broker"},
				fmt.Sprintf("the server on %s accepted the TLS connection and closed it on the HTTP request", safetext.Line(a.tgt.addr)),
				"this is not a certificate rejection: asked with an MQTT CONNECT on a second connection, it answered with a CONNACK")}
		}
	}
	return err
}

// answersSSLRequest says whether the target answers PostgreSQL's
// SSLRequest, on a connection of its own.
func (a *attempt) answersSSLRequest(ctx context.Context) bool {
	var b [1]byte
	return a.ask(ctx, nil, pgSSLRequest, b[:]) && (b[0] == 'S' || b[0] == 'N')
}

// answersMQTT says whether the target, which closed on an HTTP request,
// answers an MQTT CONNECT with a CONNACK, on a TLS connection of its own
// that presents the same certificate to the same server (its certificate
// must be the one this attempt verified).
func (a *attempt) answersMQTT(ctx context.Context) bool {
	a.mu.Lock()
	server, sn := a.server, a.serverName
	a.mu.Unlock()
	if server == nil || len(server.peer) == 0 {
		return false
	}
	leaf := server.peer[0]
	minV, maxV := a.req.versions()
	cfg := &tls.Config{ServerName: sn, MinVersion: minV, MaxVersion: maxV,
		InsecureSkipVerify: true, // pinned instead to the certificate verified before
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 || !cs.PeerCertificates[0].Equal(leaf) {
				return errors.New("another server certificate than the attempt's")
			}
			return nil
		},
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			if a.req.ClientCert == nil {
				return &tls.Certificate{}, nil
			}
			return a.req.ClientCert, nil
		},
	}
	var ack [2]byte
	return a.ask(ctx, cfg, mqttConnect(mqtt311, "mtlswb-sniff", ""), ack[:]) && ack[0] == 0x20 && ack[1] == 2
}

// ask is an active check: on a connection of its own to the target (over
// TLS with cfg, unless nil), it sends question and reads len(answer) bytes
// into answer, all within sniffWait. Never through a proxy: the check must
// not look like another request to it.
func (a *attempt) ask(ctx context.Context, cfg *tls.Config, question, answer []byte) bool {
	if a.req.Proxy != "" {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, sniffWait)
	defer cancel()
	var c net.Conn
	var err error
	if cfg == nil {
		c, err = (&net.Dialer{}).DialContext(ctx, "tcp", a.tgt.addr)
	} else {
		c, err = (&tls.Dialer{Config: cfg}).DialContext(ctx, "tcp", a.tgt.addr)
	}
	if err != nil {
		return false
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	if _, err := c.Write(question); err != nil {
		return false
	}
	_, err = io.ReadFull(c, answer)
	return err == nil
}
