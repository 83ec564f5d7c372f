package tui

import (
	"context"
	"crypto/x509"
	"os"
	"path/filepath"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/mtlswb/mtlswb/tlsengine/revocation"
)

// revocationBudget bounds the CRL and OCSP fetches of one detail view; the
// check runs in a command, so the screen never waits for it.
const revocationBudget = 5 * time.Second

// revocationCheckedMsg is an identity's revocation status, for the detail
// view that asked (seq and name, as recordLoadedMsg).
type revocationCheckedMsg struct {
	seq    int
	name   string
	status revocation.Status
}

// wantsRevocation: the certificate names a CRL or an OCSP responder.
func wantsRevocation(c *x509.Certificate) bool {
	return len(c.CRLDistributionPoints) > 0 || len(c.OCSPServer) > 0
}

// checkRevocationCmd checks leaf at its issuer's CRL and OCSP responder,
// keeping answers in the user's cache for as long as they are current (the
// CLI's `show` shares the cache).
func checkRevocationCmd(seq int, name string, leaf, issuer *x509.Certificate) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), revocationBudget)
		defer cancel()
		opt := revocation.Options{Issuer: issuer}
		if dir, err := os.UserCacheDir(); err == nil {
			opt.Cache = revocation.DirCache{Dir: filepath.Join(dir, "mtlswb", "revocation")}
		}
		return revocationCheckedMsg{seq: seq, name: name, status: revocation.Check(ctx, leaf, opt)}
	}
}
