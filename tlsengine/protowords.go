package tlsengine

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// inOwnWords runs after an attempt failed, before the diagnosis: it turns
// what the diagnosis would word in HTTP's terms into the words of the
// protocol that was spoken (a PostgreSQL server that hung up during its
// SSLRequest did not fail to send "a complete response"), and for https://
// and tls:// it looks for the protocol the server speaks instead (sniff.go).
// What it cannot word better it returns as it was.
func (a *attempt) inOwnWords(ctx context.Context, err error) error {
	if err == nil || refused(err) || errors.Is(ctx.Err(), context.Canceled) {
		return err
	}
	if op := (*otherProtoError)(nil); errors.As(err, &op) {
		return a.heardOther(op, a.phaseOf(err))
	}
	switch a.tgt.proto.(type) {
	case httpProtocol, rawTLS:
		return a.sniff(ctx, err)
	}
	if alert, ok := AlertFromError(err); ok {
		if alert == 120 && len(a.tgt.proto.alpn()) > 0 {
			return &phaseError{phase: PhaseHandshake, err: &refusal{category: TLSError,
				detail:  "the server sent TLS alert 120 (no_application_protocol)",
				summary: fmt.Sprintf("the server refused %s, the ALPN name of %s: it does not serve %s on this port", strings.Join(a.tgt.proto.alpn(), ", "), a.tgt.proto.name(), a.tgt.proto.name()),
				hints:   []string{"check the host and port: the service may listen on another one, behind a proxy that does not pass " + a.tgt.proto.name() + " through"}}}
		}
		return err // a TLS alert is the handshake's: diagnosed as for any protocol
	}
	ev := a.evidence(nil, err, nil)
	phase := ev.phase
	name := a.tgt.proto.name()
	rf := &refusal{detail: "error: " + safetext.Line(err.Error())}
	exchange := phase == PhaseRequest || phase == PhaseResponse
	switch {
	case phase == PhasePreamble && ev.timeout:
		rf.category = HandshakeTimeout
		rf.summary = fmt.Sprintf("the server accepted the connection but did not finish %s's plaintext preamble, before TLS, within %s", name, a.limit())
		rf.hints = []string{
			fmt.Sprintf("check that %s speaks %s: it may speak TLS from the first byte (try tls://%s) or another protocol", safetext.Line(a.tgt.addr), name, safetext.Line(a.tgt.addr)),
			"the server may be overloaded, or a middlebox may be holding the connection"}
	case phase == PhasePreamble && ev.closed:
		rf.category = ConnectionReset
		rf.summary = fmt.Sprintf("the server closed the connection during %s's plaintext preamble, before TLS started", name)
		rf.hints = []string{
			fmt.Sprintf("check that %s speaks %s on this port: it may speak TLS from the first byte (try tls://%s)", safetext.Line(a.tgt.addr), name, safetext.Line(a.tgt.addr)),
			"the server's log says why it hung up (a limit on connections, an address it refuses)"}
	case exchange && ev.timeout:
		rf.category = HTTPError
		rf.summary = fmt.Sprintf("the TLS handshake succeeded but the %s server did not answer within %s", name, a.limit())
		rf.hints = []string{"the server (or the application behind it) is slow or stuck: try a longer timeout, check its logs"}
	case exchange && ev.closed && a.acceptedTLS():
		rf.category = ConnectionReset
		rf.summary = fmt.Sprintf("the %s server closed the connection after the TLS handshake without answering", name)
		rf.hints = []string{"the server's log says why: it may refuse this client at the application level without saying so on the wire"}
		if a.ticketsSeen() {
			rf.hints = append(rf.hints, "it had accepted the TLS connection and your certificate: it sent session tickets first")
		}
	case phase == PhasePreamble:
		rf.category = NotTLS
		rf.summary = fmt.Sprintf("the server's answer in the plaintext preamble, before TLS, is not %s", name)
		rf.hints = []string{fmt.Sprintf("check that %s speaks %s", safetext.Line(a.tgt.addr), name)}
	case exchange && !ev.closed:
		rf.category = HTTPError
		rf.summary = fmt.Sprintf("the %s exchange failed after the TLS handshake: the server's answer is not what %s says", name, name)
		rf.hints = []string{"check that this is a " + name + " server, and its logs"}
	default:
		return err
	}
	return &phaseError{phase: phase, err: rf}
}

// phaseOf is the phase err happened in.
func (a *attempt) phaseOf(err error) Phase {
	var pe *phaseError
	if errors.As(err, &pe) {
		return pe.phase
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.phase
}

// limit is the attempt's timeout.
func (a *attempt) limit() time.Duration {
	if a.req.Timeout > 0 {
		return a.req.Timeout
	}
	return defaultTimeout
}

// acceptedTLS says whether the server is known to have accepted the TLS
// connection with the client's certificate: under TLS 1.2 its Finished said
// so; under TLS 1.3 only its session tickets do, when it asked for a
// certificate. Otherwise a close right after the handshake may be the
// certificate's rejection, which the diagnosis explains.
func (a *attempt) acceptedTLS() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.handshakeDone || a.state == nil {
		return false
	}
	return a.state.Version != tls.VersionTLS13 || a.certReq == nil || (a.raw != nil && a.raw.after.Load() > 0)
}

// ticketsSeen says whether the server sent anything after the handshake.
func (a *attempt) ticketsSeen() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.raw != nil && a.raw.after.Load() > 0
}
