package main

import (
	"crypto/tls"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/certfile"
	"github.com/mtlswb/mtlswb/tlsengine/safetext"
	"github.com/mtlswb/mtlswb/workspace"
)

// tlsFlags are the flags send and probe share.
type tlsFlags struct {
	identity, certFile, keyFile string
	cas                         stringList
	systemRoots, insecure       bool
	serverName, tlsMin, tlsMax  string
	timeout                     string
	asJSON                      bool
	passFile                    string
	profile                     string
	noProfile                   bool
	set                         map[string]bool // the flags given, which a profile must not override
}

func addTLSFlags(fs *flag.FlagSet) *tlsFlags {
	f := &tlsFlags{}
	fs.StringVar(&f.identity, "identity", "", "present the workspace identity `NAME`; auto: the one the server's certificate request accepts")
	fs.StringVar(&f.certFile, "cert", "", "present the certificate in `FILE` (with --key; no workspace needed)")
	fs.StringVar(&f.keyFile, "key", "", "the private key `FILE` for --cert")
	fs.StringVar(&f.passFile, "pass-file", "", "passphrase `FILE` for an encrypted --cert/--key")
	fs.Var(&f.cas, "ca", "trust the workspace CA `NAME` or the CA certificates in FILE (repeatable)")
	fs.Var(&f.cas, "cacert", "alias of --ca, for curl users")
	fs.BoolVar(&f.systemRoots, "system-roots", false, "also trust the system's root CAs (the default only when no --ca is given)")
	fs.BoolVar(&f.insecure, "insecure", false, "do not fail on server certificate problems (they are still reported)")
	fs.StringVar(&f.serverName, "servername", "", "SNI and name to verify, instead of the URL's host")
	fs.StringVar(&f.tlsMin, "tls-min", "", "minimum TLS `version`: 1.2 or 1.3")
	fs.StringVar(&f.tlsMax, "tls-max", "", "maximum TLS `version`: 1.2 or 1.3")
	fs.StringVar(&f.timeout, "timeout", "10s", "give up after this `duration`")
	fs.BoolVar(&f.asJSON, "json", false, "print the report as one JSON object")
	fs.StringVar(&f.profile, "profile", "", "use profile `NAME` whatever the host (default: the profile matching the URL)")
	fs.BoolVar(&f.noProfile, "no-profile", false, "use no profile, only the flags given")
	return f
}

func cmdSend(c *cli, args []string) error {
	fs := c.flags()
	tf := addTLSFlags(fs)
	method := fs.String("X", "", "HTTP `method` (default GET, or POST with -d)")
	var headers stringList
	fs.Var(&headers, "H", "request header 'Name: value' (repeatable)")
	data := fs.String("d", "", "request body, or @FILE to read it from a file")
	maxBody := sizeFlag(fs, "max-body", defaultMaxBody, "largest request body read from -d @FILE (`SIZE`: bytes, or with K, M, G)")
	follow := fs.Bool("follow", false, "follow redirects (by default they are reported, not followed)")
	proxy := fs.String("proxy", "", "send through an HTTP CONNECT proxy `URL`")
	pos, err := c.parse(fs, args, "[--identity NAME|auto | --cert FILE --key FILE] [--ca NAME|FILE]... [--profile NAME | --no-profile] [flags] URL")
	if err != nil {
		return err
	}
	if err := wantArgs(pos, 1, "URL"); err != nil {
		return err
	}
	tf.set = setFlags(fs)
	body := *data
	if strings.HasPrefix(body, "@") {
		b, err := readLimited(body[1:], int64(*maxBody), "request body")
		if err != nil {
			return badInput(fmt.Errorf("read request body: %w", err))
		}
		body = string(b)
	}
	spec := tf.spec(pos[0])
	spec.Method, spec.Headers, spec.Body, spec.Follow, spec.Proxy = *method, headers, body, *follow, *proxy
	return c.attempt(spec, tf)
}

func cmdProbe(c *cli, args []string) error {
	fs := c.flags()
	tf := addTLSFlags(fs)
	pos, err := c.parse(fs, args, "[--identity NAME|auto | --cert FILE --key FILE] [--ca NAME|FILE]... [--profile NAME | --no-profile] [flags] HOST:PORT")
	if err != nil {
		return err
	}
	if err := wantArgs(pos, 1, "HOST:PORT"); err != nil {
		return err
	}
	tf.set = setFlags(fs)
	spec := tf.spec(pos[0])
	spec.Probe = true
	return c.attempt(spec, tf)
}

func (f *tlsFlags) spec(url string) workspace.RequestSpec {
	return workspace.RequestSpec{
		URL: url, Identity: f.identity, SystemRoots: f.systemRoots, ServerName: f.serverName,
		TLSMin: f.tlsMin, TLSMax: f.tlsMax, Insecure: f.insecure, Timeout: f.timeout,
	}
}

// attempt applies the matching profile, picks the identity for --identity
// auto, resolves the request, runs it, prints the report and keeps it in
// the workspace history when a workspace was used.
func (c *cli) attempt(spec workspace.RequestSpec, tf *tlsFlags) error {
	if err := c.chooseProfile(&spec, tf); err != nil {
		return err
	}
	if spec.Identity == autoIdentity {
		if err := c.chooseAutoIdentity(&spec, tf); err != nil {
			return err
		}
	}
	tf.identity = spec.Identity
	req, store, err := c.resolve(spec, tf)
	if err != nil {
		return err
	}
	if err := req.Validate(); err != nil {
		return badInput(err)
	}
	rep := tlsengine.Run(c.ctx, req)
	if store != nil {
		c.remember(store, spec, rep)
	}
	if tf.asJSON {
		if err := writeJSON(c.stdout, rep); err != nil {
			return err
		}
	} else {
		renderReport(c.stdout, rep, c.colour(c.stdout))
	}
	if !rep.OK {
		return &quietError{exitFailed}
	}
	return nil
}

// resolve builds the engine request from flags: workspace names through the
// workspace, files directly. The workspace is opened only when a name needs
// it, or when it exists and can name the user's identities in hints.
func (c *cli) resolve(spec workspace.RequestSpec, tf *tlsFlags) (tlsengine.Request, *workspace.Store, error) {
	if tf.identity != "" && (tf.certFile != "" || tf.keyFile != "") {
		return tlsengine.Request{}, nil, usagef("use either --identity or --cert/--key, not both")
	}
	if (tf.certFile == "") != (tf.keyFile == "") {
		return tlsengine.Request{}, nil, usagef("--cert and --key go together: give both (or --identity NAME)")
	}
	var caFiles []string
	for _, ca := range tf.cas {
		if _, err := os.Stat(ca); err == nil {
			caFiles = append(caFiles, ca)
		} else {
			spec.CAs = append(spec.CAs, ca)
		}
	}
	needStore := spec.Identity != "" || len(spec.CAs) > 0
	var store *workspace.Store
	if path, err := c.path(); err == nil && (needStore || workspace.Exists(path)) {
		if store, err = c.store(); err != nil {
			return tlsengine.Request{}, nil, err
		}
	}
	var req tlsengine.Request
	var err error
	if store != nil {
		var keys *workspace.Keys
		if spec.Identity != "" {
			if keys, err = c.unlock(store); err != nil {
				return req, nil, err
			}
		}
		req, err = store.Resolve(keys, spec)
	} else {
		req, err = spec.Request()
	}
	if err != nil {
		return req, nil, badInput(err)
	}
	for _, file := range caFiles {
		b, err := certfile.ParseFile(file, nil)
		if err != nil {
			return req, nil, badInput(fmt.Errorf("--ca %s: %w", file, err))
		}
		if len(b.Certs) == 0 {
			return req, nil, badInput(fmt.Errorf("--ca %s holds no certificate", file))
		}
		for _, cert := range b.Certs {
			req.Roots = append(req.Roots, cert)
			req.RootNames = append(req.RootNames, file)
		}
	}
	if tf.certFile != "" {
		cert, err := loadKeyPair(tf.certFile, tf.keyFile, c.importPassphrase(tf.passFile))
		if err != nil {
			return req, nil, badInput(err)
		}
		req.ClientCert, req.ClientName = cert, tf.certFile
	}
	return req, store, nil
}

// loadKeyPair reads a certificate (with its chain) and its key from files in
// any format import accepts.
func loadKeyPair(certPath, keyPath string, pass certfile.PassphraseFunc) (*tls.Certificate, error) {
	var bundles []*certfile.Bundle
	for _, p := range []string{certPath, keyPath} {
		if len(bundles) == 1 && p == certPath {
			break // --cert and --key name the same file (a p12 or a combined PEM)
		}
		b, err := certfile.ParseFile(p, pass)
		if err != nil {
			return nil, err
		}
		bundles = append(bundles, b)
	}
	ids, _, err := certfile.Group(bundles)
	if err != nil {
		return nil, err
	}
	if len(ids) != 1 {
		return nil, fmt.Errorf("--cert %s and --key %s hold %d certificate/key pairs; mtlswb needs exactly one", certPath, keyPath, len(ids))
	}
	cert := &tls.Certificate{PrivateKey: ids[0].Key, Leaf: ids[0].Chain[0]}
	for _, c := range ids[0].Chain {
		cert.Certificate = append(cert.Certificate, c.Raw)
	}
	return cert, nil
}

// remember saves the attempt in the workspace history. A busy workspace
// must not turn a finished request into a failure, so it only warns.
func (c *cli) remember(store *workspace.Store, spec workspace.RequestSpec, rep tlsengine.Report) {
	specJSON, _ := json.Marshal(spec)
	repJSON, err := json.Marshal(rep)
	if err != nil {
		return
	}
	e := workspace.HistoryEntry{
		At: rep.StartedAt, Method: rep.Request.Method, URL: rep.Request.URL, Identity: spec.Identity,
		OK: rep.OK, Request: specJSON, Report: repJSON,
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	if rep.HTTP != nil {
		e.Status = rep.HTTP.Status
	}
	if rep.Failure != nil {
		e.Category = string(rep.Failure.Category)
	}
	if _, err := store.AddHistory(e); err != nil {
		fmt.Fprintf(c.stderr, "warning: the attempt was not saved in history: %s\n", safetext.Line(err.Error()))
	}
}
