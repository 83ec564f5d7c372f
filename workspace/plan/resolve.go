package plan

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/certfile"
	"github.com/mtlswb/mtlswb/tlsengine/safetext"
	"github.com/mtlswb/mtlswb/workspace"
)

// Resolve turns the decided p.Spec into p.Request: workspace names through
// the workspace, --ca and --cert/--key files directly. unlock is called
// only when an identity's private key is needed. The workspace is opened
// when a name needs it, or when it exists and can name the user's other
// identities and CAs in the diagnosis.
func (p *Plan) Resolve(unlock Unlock) error {
	if p.Spec.Identity == IdentityAuto {
		return &Error{Step: StepResolve, Err: errors.New("the identity is still auto: the probe that chooses it has not run")}
	}
	var keys *workspace.Keys
	if p.NeedsKey() {
		s, err := p.workspace(true)
		if err != nil {
			return &Error{Step: StepResolve, Err: err}
		}
		if unlock == nil {
			return &Error{Step: StepResolve, Err: errors.New("the identity's key is needed and nothing can unlock the workspace")}
		}
		if keys, err = unlock(s); err != nil {
			return &Error{Step: StepResolve, Err: err}
		}
	}
	req, err := p.resolveSpec(p.Spec, keys)
	if err != nil {
		return err
	}
	if p.in.CertFile != "" {
		cert, err := LoadKeyPair(p.in.CertFile, p.in.KeyFile, p.in.KeyPassphrase)
		if err != nil {
			return badInput(StepResolve, err)
		}
		req.ClientCert, req.ClientName = cert, p.in.CertFile
	}
	p.Request = req
	return nil
}

// resolveSpec builds the engine request for spec with the plan's CA files;
// keys may be nil when spec names no identity.
func (p *Plan) resolveSpec(spec workspace.RequestSpec, keys *workspace.Keys) (tlsengine.Request, error) {
	s, err := p.workspace(spec.Identity != "" || len(spec.CAs) > 0)
	if err != nil {
		return tlsengine.Request{}, &Error{Step: StepResolve, Err: err}
	}
	var req tlsengine.Request
	if s != nil {
		req, err = s.Resolve(keys, spec)
	} else {
		req, err = spec.Request()
	}
	if err != nil {
		return req, badInput(StepResolve, err)
	}
	for _, file := range p.caFiles {
		b, err := certfile.ParseFile(file, nil)
		if err != nil {
			return req, badInput(StepResolve, fmt.Errorf("--ca %s: %w", file, err))
		}
		if len(b.Certs) == 0 {
			return req, badInput(StepResolve, fmt.Errorf("--ca %s holds no certificate", file))
		}
		for _, cert := range b.Certs {
			req.Roots = append(req.Roots, cert)
			req.RootNames = append(req.RootNames, file)
		}
	}
	return req, nil
}

// LoadKeyPair reads a certificate (with its chain) and its key from files in
// any format import accepts.
func LoadKeyPair(certPath, keyPath string, pass certfile.PassphraseFunc) (*tls.Certificate, error) {
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
	var unmatched *certfile.UnmatchedKeyError
	if errors.As(err, &unmatched) {
		return nil, fmt.Errorf("the %s key in --key %s does not match the certificate in --cert %s%s: give the key that belongs to that certificate",
			unmatched.Key, keyPath, certPath, subjectOf(bundles[0].Certs))
	}
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 && certPath == keyPath {
		return nil, fmt.Errorf("--cert %s holds no private key: give --key FILE too, or a file holding both (PEM bundle or PKCS#12)", certPath)
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

// subjectOf names the first certificate, for a message about it.
func subjectOf(certs []*x509.Certificate) string {
	if len(certs) == 0 {
		return ""
	}
	return " (" + safetext.Line(certs[0].Subject.String()) + ")"
}
