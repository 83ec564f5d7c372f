package realserver_test

import (
	"testing"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/realserver"
)

func TestApache(t *testing.T) {
	t.Parallel()
	f := pkiFixture(t)
	srv := realserver.StartApache(t, realserver.ApacheConfig{TLS: f.tlsConfig(), Verify: realserver.VerifyRequired})
	t.Logf("apache started in %s", srv.StartUp)
	t.Run("good client", func(t *testing.T) {
		wantCategory(t, srv, f.send(srv, &f.client, 0), "")
	})
	// SSLVerifyClient require at the virtual host: mod_ssl fails the
	// handshake with alert 48 (TLS 1.3: after the client's Finished).
	t.Run("rogue client", func(t *testing.T) {
		wantCategory(t, srv, f.send(srv, &f.clientRogue, 0), tlsengine.ClientCertUnknownCA)
	})
}
