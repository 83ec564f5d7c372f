package realserver_test

import (
	"testing"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/realserver"
)

func TestHAProxy(t *testing.T) {
	t.Parallel()
	f := pkiFixture(t)
	srv := realserver.StartHAProxy(t, realserver.HAProxyConfig{TLS: f.tlsConfig(), Verify: realserver.VerifyRequired})
	t.Logf("haproxy started in %s", srv.StartUp)
	t.Run("good client", func(t *testing.T) {
		wantCategory(t, srv, f.send(srv, &f.client, 0), "")
	})
	// verify required: HAProxy aborts the handshake with alert 48.
	t.Run("rogue client", func(t *testing.T) {
		wantCategory(t, srv, f.send(srv, &f.clientRogue, 0), tlsengine.ClientCertUnknownCA)
	})
}
