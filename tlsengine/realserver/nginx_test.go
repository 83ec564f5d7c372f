package realserver_test

import (
	"crypto/tls"
	"testing"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/realserver"
)

func TestNginx(t *testing.T) {
	t.Parallel()
	f := pkiFixture(t)
	srv := realserver.StartNginx(t, realserver.NginxConfig{TLS: f.tlsConfig(), Verify: realserver.VerifyRequired})
	t.Logf("nginx started in %s", srv.StartUp)
	t.Run("good client", func(t *testing.T) {
		wantCategory(t, srv, f.send(srv, &f.client, 0), "")
	})
	// nginx finishes the handshake without a certificate and answers its
	// 400 page "No required SSL certificate was sent".
	t.Run("no client certificate", func(t *testing.T) {
		rep := f.send(srv, nil, tls.VersionTLS12)
		wantCategory(t, srv, rep, tlsengine.ClientCertRequired)
	})
}
