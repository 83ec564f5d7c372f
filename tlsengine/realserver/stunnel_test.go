package realserver_test

import (
	"testing"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/realserver"
)

func TestStunnel(t *testing.T) {
	t.Parallel()
	f := pkiFixture(t)
	srv := realserver.StartStunnel(t, realserver.StunnelConfig{TLS: f.tlsConfig(), Verify: realserver.VerifyRequired})
	t.Logf("stunnel started in %s", srv.StartUp)
	// Through stunnel to the harness's plain HTTP backend.
	t.Run("good client", func(t *testing.T) {
		wantCategory(t, srv, f.send(srv, &f.client, 0), "")
	})
	t.Run("rogue client", func(t *testing.T) {
		wantCategory(t, srv, f.send(srv, &f.clientRogue, 0), tlsengine.ClientCertUnknownCA)
	})
}
