package main

import (
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/mtlswb/mtlswb/tlsengine/certfile"
	"github.com/mtlswb/mtlswb/tlsengine/serve"
	"github.com/mtlswb/mtlswb/workspace"
	"github.com/mtlswb/mtlswb/workspace/plan"
)

func cmdServe(c *cli, args []string) error {
	fs := c.flags()
	identity := fs.String("identity", "", "the workspace identity `NAME` the server presents")
	certFile := fs.String("cert", "", "server certificate `FILE` (instead of --identity)")
	keyFile := fs.String("key", "", "server key `FILE` for --cert")
	passFile := fs.String("pass-file", "", "passphrase `FILE` for an encrypted --cert/--key")
	var cas, allowCN stringList
	fs.Var(&cas, "ca", "trust client certificates issued by the workspace CA `NAME` or the CAs in FILE (repeatable)")
	fs.Var(&allowCN, "allow-cn", "authorize only clients with this subject CN; others get 401 (repeatable)")
	addr := fs.String("addr", "127.0.0.1:8443", "listen `address`")
	clientAuth := fs.String("client-auth", "require", "require, request, verify-if-given or none")
	tlsMin := fs.String("tls-min", "", "minimum TLS `version`: 1.2 or 1.3")
	tlsMax := fs.String("tls-max", "", "maximum TLS `version`: 1.2 or 1.3")
	boundTokens := fs.Bool("bound-tokens", false, "require an Authorization: Bearer JWT whose cnf.x5t#S256 is the client certificate's thumbprint (RFC 8705); "+
		"others get 401 with a JSON reason. The token's signature is NOT verified")
	var crlFiles stringList
	fs.Var(&crlFiles, "crl", "refuse client certificates revoked by the CRL in `FILE` (PEM or DER; repeatable) with alert 44")
	closeAfter := fs.Bool("close-after-handshake", false, "close each connection right after the handshake, without an alert or a response (a backend that is down)")
	noCertStatus := fs.Int("http-status-for-no-cert", 0, "ask for an optional client certificate and answer HTTP `STATUS` (e.g. 496, as nginx and HAProxy do) when none was sent")
	synopsis := "--identity NAME [--ca NAME|FILE]... [--addr 127.0.0.1:8443] [--client-auth require|request|verify-if-given|none] [--allow-cn CN]... [--bound-tokens] [--tls-min V] [--tls-max V] " +
		"[--crl FILE]... [--close-after-handshake] [--http-status-for-no-cert STATUS]"
	pos, err := c.parse(fs, args, synopsis)
	if err != nil {
		return err
	}
	if err := wantArgs(pos, 0, "no positional arguments"); err != nil {
		return err
	}
	authSet := false
	fs.Visit(func(f *flag.Flag) { authSet = authSet || f.Name == "client-auth" })
	if *noCertStatus != 0 && !authSet {
		// An optional certificate: verified when CAs are given.
		*clientAuth = "verify-if-given"
		if len(cas) == 0 {
			*clientAuth = "request"
		}
	}
	switch *clientAuth {
	case "require", "request", "verify-if-given", "none":
	default:
		return usagef("--client-auth must be require, request, verify-if-given or none, not %q", *clientAuth)
	}
	if (*identity == "") == (*certFile == "") {
		return usagef("give the server's certificate: --identity NAME, or --cert FILE --key FILE")
	}
	if *boundTokens && *clientAuth == "none" {
		return usagef("--bound-tokens needs client certificates to bind to: use --client-auth request (self-signed clients) or require")
	}
	cfg := serve.Config{ClientAuth: *clientAuth, AllowCN: allowCN, BoundTokens: *boundTokens, Log: c.stderr,
		CloseAfterHandshake: *closeAfter, StatusForNoCert: *noCertStatus}
	for _, name := range crlFiles {
		data, err := os.ReadFile(name)
		if err != nil {
			return badInput(fmt.Errorf("--crl: %w", err))
		}
		crls, err := serve.ParseCRLs(data)
		if err != nil {
			return badInput(fmt.Errorf("--crl %s: %w", name, err))
		}
		cfg.CRLs = append(cfg.CRLs, crls...)
	}
	if cfg.MinVersion, err = workspace.ParseTLSVersion(*tlsMin); err != nil {
		return usagef("--tls-min: %v", err)
	}
	if cfg.MaxVersion, err = workspace.ParseTLSVersion(*tlsMax); err != nil {
		return usagef("--tls-max: %v", err)
	}
	var store *workspace.Store
	needStore := *identity != ""
	var caNames []string
	for _, ca := range cas {
		if b, err := certfile.ParseFile(ca, nil); err == nil {
			cfg.ClientCAs = append(cfg.ClientCAs, b.Certs...)
		} else {
			caNames = append(caNames, ca)
			needStore = true
		}
	}
	if needStore {
		if store, err = c.store(); err != nil {
			return err
		}
	}
	for _, name := range caNames {
		rec, err := store.Get(name)
		if err != nil {
			return badInput(fmt.Errorf("--ca %s: not a file with certificates nor a workspace CA: %w", name, err))
		}
		cfg.ClientCAs = append(cfg.ClientCAs, rec.Chain[0])
	}
	if *identity != "" {
		keys, err := c.unlock(store)
		if err != nil {
			return err
		}
		cert, err := store.TLSCertificate(keys, *identity)
		if err != nil {
			return err
		}
		cfg.Cert = *cert
	} else {
		cert, err := plan.LoadKeyPair(*certFile, *keyFile, c.importPassphrase(*passFile))
		if err != nil {
			return badInput(err)
		}
		cfg.Cert = *cert
	}
	if len(cfg.ClientCAs) == 0 && *clientAuth != "none" && *clientAuth != "request" {
		return usagef("--client-auth %s needs --ca: the CAs whose client certificates this server trusts", *clientAuth)
	}
	srv, err := serve.New(cfg)
	if err != nil {
		return badInput(err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another server using the port? pick one with --addr)", *addr, err)
	}
	host, _, _ := net.SplitHostPort(ln.Addr().String())
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		fmt.Fprintf(c.stderr, "warning: listening on %s, reachable from other machines\n", ln.Addr())
	}
	fmt.Fprintf(c.stderr, "serving mTLS on https://%s (client auth: %s, trusted client CAs: %s); Ctrl-C stops\n",
		ln.Addr(), *clientAuth, caList(cfg.ClientCAs))
	if *boundTokens {
		fmt.Fprintln(c.stderr, "requests need a bearer token bound to their client certificate (cnf.x5t#S256); token signatures are NOT verified")
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-c.ctx.Done():
		fmt.Fprintln(c.stderr, "stopping")
		if err := srv.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			return err
		}
		<-done
		return nil
	}
}

func caList(cas []*x509.Certificate) string {
	if len(cas) == 0 {
		return "none"
	}
	names := make([]string, len(cas))
	for i, c := range cas {
		names[i] = cell(c.Subject.CommonName)
	}
	return strings.Join(names, ", ")
}
