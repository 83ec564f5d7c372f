// Package revocation checks whether a certificate has been revoked: by its
// issuer's CRL (a file or URL the user gives, or the certificate's CRL
// distribution points) and by OCSP (the responder in its authority
// information access). Fetches go through pkifetch's bounds and never
// happen offline; answers are cached for as long as the CRL or OCSP
// response itself says it is current, and no longer.
package revocation

import (
	"context"
	"crypto/x509"
	"fmt"
	"strings"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine/pkifetch"
	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// State is what a check found.
type State string

const (
	Good    State = "good"    // a current CRL or OCSP response does not list it
	Revoked State = "revoked" // a CRL or OCSP response lists it as revoked
	Unknown State = "unknown" // nothing could tell (see Status.Notes)
)

// Status is the outcome of a check. Every string in it is sanitized.
type Status struct {
	State State `json:"state"`
	// Source is "crl" or "ocsp": what gave the state; empty when unknown.
	Source string `json:"source,omitempty"`
	// Where is the CRL's URL or file, or the OCSP responder's URL.
	Where string `json:"where,omitempty"`
	// RevokedAt and Reason (RFC 5280 5.3.1: keyCompromise, superseded...)
	// are set when revoked.
	RevokedAt time.Time `json:"revoked_at,omitzero"`
	Reason    string    `json:"reason,omitempty"`
	// NextUpdate is when the answer stops being current: it is cached
	// until then.
	NextUpdate time.Time `json:"next_update,omitzero"`
	// Notes say what else was consulted and why it did not answer.
	Notes []string `json:"notes,omitempty"`
}

// Summary says the status in one line.
func (s Status) Summary() string {
	where := s.Source
	switch s.Source {
	case "crl":
		where = "the CRL " + s.Where
	case "ocsp":
		where = "the OCSP responder " + s.Where
	}
	switch s.State {
	case Revoked:
		r := "revoked"
		if !s.RevokedAt.IsZero() {
			r += " at " + s.RevokedAt.UTC().Format(time.RFC3339)
		}
		if s.Reason != "" {
			r += " (" + s.Reason + ")"
		}
		return r + ", says " + where
	case Good:
		r := "not revoked, says " + where
		if !s.NextUpdate.IsZero() {
			r += " (current until " + s.NextUpdate.UTC().Format(time.RFC3339) + ")"
		}
		return r
	}
	if len(s.Notes) > 0 {
		return "unknown: " + strings.Join(s.Notes, "; ")
	}
	return "unknown"
}

// Options say where to look.
type Options struct {
	// Issuer is the certificate's issuer: it checks a CRL's signature and
	// is part of an OCSP request. Without it no OCSP request can be made,
	// and a CRL is read without its signature checked (Notes say so).
	Issuer *x509.Certificate
	// CRLs are CRL files or http(s) URLs the user gave (--crl), read
	// before the certificate's own pointers.
	CRLs []string
	// Offline: fetch nothing; files and cached answers only.
	Offline bool
	// Cache keeps fetched answers; nil keeps none.
	Cache Cache
	// Now is the time the answers are judged at; zero means time.Now().
	Now time.Time
}

// Check looks for leaf's revocation: the CRLs given, then the OCSP
// responder, then the CRL distribution points, stopping at the first
// current answer. A revocation is final; a "not listed" from a stale CRL
// is no answer.
func Check(ctx context.Context, leaf *x509.Certificate, opt Options) Status {
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	var notes []string
	note := func(format string, args ...any) { notes = append(notes, safetext.Line(fmt.Sprintf(format, args...))) }
	done := func(s Status) Status {
		s.Notes = append(notes, s.Notes...)
		return s
	}
	for _, src := range opt.CRLs {
		if s, ok := checkCRL(ctx, leaf, src, opt, note); ok {
			return done(s)
		}
	}
	ocspURLs := fetchable(leaf.OCSPServer, "OCSP responder", note)
	crlURLs := fetchable(leaf.CRLDistributionPoints, "CRL distribution point", note)
	if len(ocspURLs) > 0 {
		if s, ok := checkOCSP(ctx, leaf, ocspURLs[0], opt, note); ok {
			return done(s)
		}
	}
	for _, u := range crlURLs {
		if s, ok := checkCRL(ctx, leaf, u, opt, note); ok {
			return done(s)
		}
	}
	if len(opt.CRLs) == 0 && len(ocspURLs) == 0 && len(crlURLs) == 0 {
		note("the certificate names no CRL distribution point or OCSP responder, and no CRL was given (--crl)")
	}
	return done(Status{State: Unknown})
}

// fetchable keeps the http(s) URLs of urls; the others are noted.
func fetchable(urls []string, what string, note func(string, ...any)) []string {
	var out []string
	for _, u := range urls {
		if pkifetch.Fetchable(u) {
			out = append(out, u)
		} else {
			note("%s %q skipped: only http and https are fetched", what, u)
		}
	}
	return out
}

// reasons names the CRLReason codes of RFC 5280 5.3.1 (7 is unused).
var reasons = map[int]string{
	0: "unspecified", 1: "keyCompromise", 2: "cACompromise", 3: "affiliationChanged", 4: "superseded",
	5: "cessationOfOperation", 6: "certificateHold", 8: "removeFromCRL", 9: "privilegeWithdrawn", 10: "aACompromise",
}

func reasonName(code int) string {
	if code == 0 {
		return "" // absent or unspecified: nothing worth saying
	}
	if n, ok := reasons[code]; ok {
		return n
	}
	return fmt.Sprintf("reason %d", code)
}

// isURL tells a CRL source given as a URL from a file name.
func isURL(src string) bool { return strings.Contains(src, "://") }

// fetchCached returns the cached answer for key when fresh says it is
// still current, else fetches it and caches it while fresh says so.
func fetchCached(key string, opt Options, fresh func([]byte) bool, fetch func() ([]byte, error)) ([]byte, error) {
	if opt.Cache != nil {
		if data := opt.Cache.Get(key); data != nil && fresh(data) {
			return data, nil
		}
	}
	if opt.Offline {
		return nil, errOffline
	}
	data, err := fetch()
	if err != nil {
		return nil, err
	}
	if opt.Cache != nil && fresh(data) {
		opt.Cache.Put(key, data)
	}
	return data, nil
}

var errOffline = fmt.Errorf("not fetched: offline")
