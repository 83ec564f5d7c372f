// Package serve is mtlswb's mTLS echo server: it answers every request with
// JSON describing the client certificate it received, and logs one line per
// connection saying why a handshake failed.
//
// crypto/tls verifies the client certificates, so the alerts clients see are
// exactly what a Go server sends; the server handshakes each connection
// itself, before net/http sees it, to capture the reason for the log.
//
// With Config.BoundTokens it also plays an RFC 8705 resource server: a
// request must carry a bearer JWT whose cnf["x5t#S256"] names the client
// certificate of its connection. It decodes the token without verifying its
// signature (anyone can make a token that passes), because its job is to
// show why a real resource server would refuse a token, not to guard one.
package serve

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/boundtoken"
	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// Client authentication modes for Config.ClientAuth.
const (
	Require       = "require"         // a certificate from ClientCAs is required (default)
	Request       = "request"         // ask for one, accept anything (reported, not verified)
	VerifyIfGiven = "verify-if-given" // none is fine; one given must verify
	None          = "none"            // do not ask
)

// handshakeTimeout bounds a client that connects and never finishes.
const handshakeTimeout = 10 * time.Second

// Config configures a Server.
type Config struct {
	Cert       tls.Certificate
	ClientCAs  []*x509.Certificate
	ClientAuth string // Require (default), Request, VerifyIfGiven or None
	// AllowCN, when set, lets only verified client certificates with one of
	// these common names through; others get 401 with a JSON reason.
	AllowCN []string
	// BoundTokens makes every request carry "Authorization: Bearer <JWT>"
	// whose cnf["x5t#S256"] is the thumbprint of the client certificate of
	// the connection (RFC 8705 §3); others get 401 with a JSON reason. The
	// token's signature is NOT verified: this server shows whether a token
	// is bound, it does not authorize anyone.
	BoundTokens            bool
	MinVersion, MaxVersion uint16 // default TLS 1.2 to 1.3
	Log                    io.Writer

	// The switches below make the server behave like real servers whose
	// answers are hard to read, so the engine's diagnosis can be tested
	// in-process. (Asking for the client certificate by renegotiation, as
	// Apache does for a <Location>, is not among them: crypto/tls servers
	// cannot renegotiate.)

	// CloseAfterHandshake closes each connection right after a successful
	// handshake, with no alert and no response: a backend that is down,
	// an application that crashed.
	CloseAfterHandshake bool
	// StatusForNoCert answers a request that came without a client
	// certificate with this HTTP status (nginx and HAProxy use 496), the
	// way servers that ask for an optional certificate judge it. It needs
	// ClientAuth Request or VerifyIfGiven.
	StatusForNoCert int
	// CRLs revoke client certificates: a verified chain with a revoked
	// link fails the handshake with alert 44 certificate_revoked, as
	// OpenSSL-based servers answer (see connConfig).
	CRLs []*x509.RevocationList
}

// Server is an mTLS echo server.
type Server struct {
	cfg   Config
	pool  *x509.CertPool
	tls   *tls.Config
	http  *http.Server
	conns *connListener

	mu      sync.Mutex
	ln      net.Listener
	closed  bool
	pending map[net.Conn]struct{} // connections still handshaking
	logMu   sync.Mutex
}

// New checks cfg and makes a Server.
func New(cfg Config) (*Server, error) {
	if len(cfg.Cert.Certificate) == 0 || cfg.Cert.PrivateKey == nil {
		return nil, errors.New("serve: no server certificate and key: give the certificate (with its chain) and its key")
	}
	if cfg.ClientAuth == "" {
		cfg.ClientAuth = Require
	}
	auth, err := clientAuth(cfg.ClientAuth)
	if err != nil {
		return nil, err
	}
	if (auth == tls.RequireAndVerifyClientCert || auth == tls.VerifyClientCertIfGiven) && len(cfg.ClientCAs) == 0 {
		return nil, fmt.Errorf("serve: client auth %q needs at least one client CA to verify against: give a CA, or use %q", cfg.ClientAuth, Request)
	}
	if cfg.StatusForNoCert != 0 {
		if cfg.StatusForNoCert < 400 || cfg.StatusForNoCert > 599 {
			return nil, fmt.Errorf("serve: HTTP status for a missing certificate %d is not an error status: use 400 to 599 (nginx and HAProxy use 496)", cfg.StatusForNoCert)
		}
		if cfg.ClientAuth != Request && cfg.ClientAuth != VerifyIfGiven {
			return nil, fmt.Errorf("serve: an HTTP status for a missing certificate needs an optional client certificate: use client auth %q or %q, not %q", VerifyIfGiven, Request, cfg.ClientAuth)
		}
	}
	if len(cfg.CRLs) > 0 && auth != tls.RequireAndVerifyClientCert && auth != tls.VerifyClientCertIfGiven {
		return nil, fmt.Errorf("serve: CRLs are checked for verified client certificates only: use client auth %q or %q, not %q", Require, VerifyIfGiven, cfg.ClientAuth)
	}
	if cfg.MinVersion == 0 {
		cfg.MinVersion = tls.VersionTLS12
	}
	if cfg.MaxVersion == 0 {
		cfg.MaxVersion = tls.VersionTLS13
	}
	if cfg.MinVersion > cfg.MaxVersion {
		return nil, fmt.Errorf("serve: minimum TLS version %s is above the maximum %s", tls.VersionName(cfg.MinVersion), tls.VersionName(cfg.MaxVersion))
	}
	s := &Server{cfg: cfg, pending: map[net.Conn]struct{}{}}
	if len(cfg.ClientCAs) > 0 {
		s.pool = x509.NewCertPool()
		for _, c := range cfg.ClientCAs {
			s.pool.AddCert(c)
		}
	}
	s.tls = &tls.Config{
		Certificates: []tls.Certificate{cfg.Cert},
		ClientAuth:   auth,
		ClientCAs:    s.pool,
		MinVersion:   cfg.MinVersion,
		MaxVersion:   cfg.MaxVersion,
		NextProtos:   []string{"h2", "http/1.1"},
	}
	s.http = &http.Server{
		Handler:           http.HandlerFunc(s.echo),
		TLSConfig:         s.tls, // makes http.Server speak h2 on the connections it is handed
		ReadHeaderTimeout: handshakeTimeout,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	return s, nil
}

func clientAuth(mode string) (tls.ClientAuthType, error) {
	switch mode {
	case Require:
		return tls.RequireAndVerifyClientCert, nil
	case Request:
		return tls.RequestClientCert, nil
	case VerifyIfGiven:
		return tls.VerifyClientCertIfGiven, nil
	case None:
		return tls.NoClientCert, nil
	}
	return 0, fmt.Errorf("serve: unknown client auth mode %q: use %s, %s, %s or %s", safetext.Line(mode), Require, Request, VerifyIfGiven, None)
}

// Serve accepts connections on ln until Close, then returns nil.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	if s.ln != nil {
		s.mu.Unlock()
		return errors.New("serve: already serving")
	}
	s.ln = ln
	s.conns = newConnListener(ln.Addr())
	s.mu.Unlock()

	httpDone := make(chan struct{})
	go func() {
		defer close(httpDone)
		_ = s.http.Serve(s.conns)
	}()
	defer func() { <-httpDone }()
	for {
		c, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return nil
			}
			s.Close()
			return fmt.Errorf("serve: accept: %w", err)
		}
		if !s.track(c) {
			c.Close()
			continue
		}
		go s.handshake(c)
	}
}

func (s *Server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.pending[c] = struct{}{}
	return true
}

func (s *Server) untrack(c net.Conn) {
	s.mu.Lock()
	delete(s.pending, c)
	s.mu.Unlock()
}

// handshake completes the TLS handshake of one connection, logs it, and hands
// a good one to the HTTP server.
func (s *Server) handshake(c net.Conn) {
	defer s.untrack(c)
	tc := tls.Server(c, s.connConfig(c))
	ctx, cancel := context.WithTimeout(context.Background(), handshakeTimeout)
	err := tc.HandshakeContext(ctx)
	cancel()
	remote := c.RemoteAddr().String()
	if err != nil {
		s.logf("%s handshake failed: %s", remote, reason(err))
		tc.Close()
		return
	}
	cs := tc.ConnectionState()
	who := "no client certificate"
	if len(cs.PeerCertificates) > 0 {
		leaf := cs.PeerCertificates[0]
		who = "client " + name(leaf.Subject.String())
		if len(cs.VerifiedChains) > 0 {
			who += " (verified)"
		} else {
			_, verr := s.verify(cs.PeerCertificates)
			who += " (not verified: " + verr + ")"
		}
	}
	alpn := cs.NegotiatedProtocol
	if alpn == "" {
		alpn = "no ALPN"
	}
	s.logf("%s %s %s %s", remote, tls.VersionName(cs.Version), safetext.Line(alpn), who)
	if s.cfg.CloseAfterHandshake {
		// The raw connection: closing tc would send close_notify.
		s.logf("%s closed right after the handshake, without an alert (close after handshake)", remote)
		c.Close()
		return
	}
	if !s.conns.deliver(tc) {
		tc.Close()
	}
}

// reason says in words why a handshake failed.
func reason(err error) string {
	var cve *tls.CertificateVerificationError
	var ci x509.CertificateInvalidError
	var ua x509.UnknownAuthorityError
	var rhe tls.RecordHeaderError
	if r := revokedReason(err); r != "" {
		return r
	}
	switch {
	case errors.As(err, &cve) && len(cve.UnverifiedCertificates) > 0:
		leaf := cve.UnverifiedCertificates[0]
		switch {
		case errors.As(err, &ua):
			top := cve.UnverifiedCertificates[len(cve.UnverifiedCertificates)-1]
			return fmt.Sprintf("client certificate %s issued by %s, not trusted", name(leaf.Subject.String()), name(top.Issuer.String()))
		case errors.As(err, &ci) && ci.Reason == x509.Expired:
			c := ci.Cert
			if c == nil {
				c = leaf
			}
			if time.Now().Before(c.NotBefore) {
				return fmt.Sprintf("client certificate %s not valid before %s", name(c.Subject.String()), c.NotBefore.UTC().Format(time.RFC3339))
			}
			return fmt.Sprintf("client certificate %s expired at %s", name(c.Subject.String()), c.NotAfter.UTC().Format(time.RFC3339))
		case errors.As(err, &ci) && ci.Reason == x509.IncompatibleUsage:
			return fmt.Sprintf("client certificate %s does not allow client authentication (extended key usage)", name(leaf.Subject.String()))
		}
		return fmt.Sprintf("client certificate %s rejected: %s", name(leaf.Subject.String()), safetext.Line(cve.Err.Error()))
	case strings.Contains(err.Error(), "didn't provide a certificate"):
		// crypto/tls has no type for this one.
		return "client sent no certificate"
	case errors.As(err, &rhe):
		return fmt.Sprintf("client does not speak TLS (it sent %q)", safetext.Line(string(rhe.RecordHeader[:])))
	case errors.Is(err, io.EOF):
		return "client closed the connection during the handshake"
	case errors.Is(err, context.DeadlineExceeded):
		return "client did not finish the handshake in time"
	}
	if n, ok := tlsengine.AlertFromError(err); ok {
		return fmt.Sprintf("client aborted with alert %d (%s): it rejected the server's certificate or parameters", n, tlsengine.AlertName(n))
	}
	return safetext.Line(err.Error())
}

func name(s string) string {
	if s == "" {
		return "(empty name)"
	}
	return safetext.Line(s)
}

// verify checks a client chain the way RequireAndVerifyClientCert would,
// for the modes in which crypto/tls does not.
func (s *Server) verify(chain []*x509.Certificate) (bool, string) {
	if s.pool == nil {
		return false, "no client CAs configured"
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	_, err := chain[0].Verify(x509.VerifyOptions{Roots: s.pool, Intermediates: inter,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	if err != nil {
		return false, safetext.Line(err.Error())
	}
	return true, ""
}

func (s *Server) logf(format string, args ...any) {
	if s.cfg.Log == nil {
		return
	}
	line := time.Now().UTC().Format("15:04:05") + " " + fmt.Sprintf(format, args...)
	s.logMu.Lock()
	defer s.logMu.Unlock()
	fmt.Fprintln(s.cfg.Log, line)
}

// Close stops the server: the listener, connections still handshaking and
// open HTTP connections.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	ln := s.ln
	for c := range s.pending {
		c.Close()
	}
	s.mu.Unlock()
	var err error
	if ln != nil {
		if e := ln.Close(); e != nil && !errors.Is(e, net.ErrClosed) {
			err = e
		}
	}
	if e := s.http.Close(); e != nil && err == nil {
		err = e
	}
	return err
}

// Echo is the JSON the server answers with.
type Echo struct {
	OK         bool      `json:"ok"`
	Error      string    `json:"error,omitempty"`
	Request    EchoReq   `json:"request"`
	TLS        EchoTLS   `json:"tls"`
	ClientCert *EchoCert `json:"client_cert"`
	// ClientChain names the certificates the client sent after its own.
	ClientChain []string `json:"client_chain,omitempty"`
	// BoundToken is the certificate-binding check of the bearer token, with
	// Config.BoundTokens only.
	BoundToken *EchoToken `json:"bound_token,omitempty"`
}

// EchoToken is the RFC 8705 check of a request's bearer token.
type EchoToken struct {
	Bound        bool   `json:"bound"`
	TokenX5tS256 string `json:"token_x5t_s256,omitempty"`
	CertX5tS256  string `json:"cert_x5t_s256,omitempty"`
	Reason       string `json:"reason"`
	// SignatureVerified is always false: the server decodes the token only.
	SignatureVerified bool `json:"signature_verified"`
}

// EchoReq describes the request received.
type EchoReq struct {
	Method     string `json:"method"`
	Path       string `json:"path"`
	Host       string `json:"host"`
	Proto      string `json:"proto"`
	RemoteAddr string `json:"remote_addr"`
}

// EchoTLS describes the connection.
type EchoTLS struct {
	Version     string `json:"version"`
	CipherSuite string `json:"cipher_suite"`
	ALPN        string `json:"alpn"`
	ServerName  string `json:"server_name"`
	Resumed     bool   `json:"resumed"`
}

// EchoCert describes the client certificate received.
type EchoCert struct {
	Subject     string    `json:"subject"`
	Issuer      string    `json:"issuer"`
	Serial      string    `json:"serial"`
	DNSNames    []string  `json:"dns_names,omitempty"`
	URIs        []string  `json:"uris,omitempty"`
	Emails      []string  `json:"emails,omitempty"`
	IPs         []string  `json:"ips,omitempty"`
	NotBefore   time.Time `json:"not_before"`
	NotAfter    time.Time `json:"not_after"`
	SHA256      string    `json:"sha256"`
	X5tS256     string    `json:"x5t#S256"` // RFC 8705 thumbprint: base64url SHA-256 of the DER
	Verified    bool      `json:"verified"`
	VerifyError string    `json:"verify_error,omitempty"`
}

func (s *Server) echo(w http.ResponseWriter, r *http.Request) {
	e := Echo{OK: true, Request: EchoReq{
		Method: safetext.Line(r.Method), Path: safetext.Line(r.URL.RequestURI()), Host: safetext.Line(r.Host),
		Proto: r.Proto, RemoteAddr: r.RemoteAddr,
	}}
	if cs := r.TLS; cs != nil {
		e.TLS = EchoTLS{Version: tls.VersionName(cs.Version), CipherSuite: tls.CipherSuiteName(cs.CipherSuite),
			ALPN: safetext.Line(cs.NegotiatedProtocol), ServerName: safetext.Line(cs.ServerName), Resumed: cs.DidResume}
		if len(cs.PeerCertificates) > 0 {
			e.ClientCert = s.describe(cs)
			for _, c := range cs.PeerCertificates[1:] {
				e.ClientChain = append(e.ClientChain, name(c.Subject.String()))
			}
		}
	}
	status := http.StatusOK
	if s.cfg.StatusForNoCert != 0 && e.ClientCert == nil {
		e.OK, status = false, s.cfg.StatusForNoCert
		e.Error = "client sent no certificate: this server asks for one and answers " + strconv.Itoa(status) + " without it"
	}
	if len(s.cfg.AllowCN) > 0 && e.OK {
		switch {
		case e.ClientCert == nil:
			e.Error = "client sent no certificate; allowed common names: " + strings.Join(safetext.Lines(s.cfg.AllowCN), ", ")
		case !e.ClientCert.Verified:
			e.Error = "client certificate is not verified (" + e.ClientCert.VerifyError + "); only verified certificates are allowed"
		case !slices.Contains(s.cfg.AllowCN, r.TLS.PeerCertificates[0].Subject.CommonName):
			e.Error = fmt.Sprintf("client certificate CN %q is not allowed; allowed common names: %s",
				safetext.Line(r.TLS.PeerCertificates[0].Subject.CommonName), strings.Join(safetext.Lines(s.cfg.AllowCN), ", "))
		}
		if e.Error != "" {
			e.OK, status = false, http.StatusUnauthorized
		}
	}
	if s.cfg.BoundTokens {
		var peer *x509.Certificate
		if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
			peer = r.TLS.PeerCertificates[0]
		}
		e.BoundToken = checkToken(r.Header.Get("Authorization"), peer)
		if !e.BoundToken.Bound && e.Error == "" {
			e.OK, status, e.Error = false, http.StatusUnauthorized, e.BoundToken.Reason
			// RFC 6750 §3: a refused bearer token is answered with this header.
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="certificate-bound token check failed"`)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(e)
}

func (s *Server) describe(cs *tls.ConnectionState) *EchoCert {
	c := cs.PeerCertificates[0]
	sum := sha256.Sum256(c.Raw)
	ec := &EchoCert{
		Subject: name(c.Subject.String()), Issuer: name(c.Issuer.String()), Serial: c.SerialNumber.Text(16),
		DNSNames: safetext.Lines(c.DNSNames), Emails: safetext.Lines(c.EmailAddresses),
		NotBefore: c.NotBefore, NotAfter: c.NotAfter,
		SHA256: hex.EncodeToString(sum[:]), X5tS256: base64.RawURLEncoding.EncodeToString(sum[:]),
	}
	for _, u := range c.URIs {
		ec.URIs = append(ec.URIs, safetext.Line(u.String()))
	}
	for _, ip := range c.IPAddresses {
		ec.IPs = append(ec.IPs, ip.String())
	}
	if len(cs.VerifiedChains) > 0 {
		ec.Verified = true
	} else {
		ec.Verified, ec.VerifyError = s.verify(cs.PeerCertificates)
	}
	return ec
}

// checkToken checks the bearer token in authorization against the client
// certificate peer (nil when the client sent none). Every reason is safe to
// print: boundtoken sanitizes what it quotes from the token.
func checkToken(authorization string, peer *x509.Certificate) *EchoToken {
	et := &EchoToken{}
	raw, err := boundtoken.FromAuthorization(authorization)
	if err != nil {
		et.Reason = err.Error()
		return et
	}
	tok, err := boundtoken.Parse(raw)
	if err != nil {
		et.Reason = safetext.Line(err.Error())
		return et
	}
	v, err := boundtoken.Check(tok, peer)
	if err != nil {
		et.Reason = safetext.Line(err.Error())
		return et
	}
	et.Bound, et.TokenX5tS256, et.CertX5tS256, et.Reason = v.Bound, v.TokenX5tS256, v.CertX5tS256, v.Reason
	return et
}

// connListener hands handshaken connections to http.Server.
type connListener struct {
	addr net.Addr
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
}

func newConnListener(addr net.Addr) *connListener {
	return &connListener{addr: addr, ch: make(chan net.Conn), done: make(chan struct{})}
}

func (l *connListener) deliver(c net.Conn) bool {
	select {
	case l.ch <- c:
		return true
	case <-l.done:
		return false
	}
}

func (l *connListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *connListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *connListener) Addr() net.Addr { return l.addr }
