package main

import (
	"strings"
	"testing"

	"github.com/mtlswb/mtlswb/tlsengine/pki"
	"github.com/mtlswb/mtlswb/tlsengine/serve"
	"github.com/mtlswb/mtlswb/tlsengine/tlstest"
)

// TestImportLeafAwaitsItsKey: a client certificate imported without its
// key is an identity awaiting it, not a CA; its key imported later (alone
// or with the certificate again) completes it.
func TestImportLeafAwaitsItsKey(t *testing.T) {
	for _, second := range []string{"key alone", "pair again"} {
		t.Run(second, func(t *testing.T) {
			e := newEnv(t)
			root := mustPair(t)(pki.NewRoot(pki.Spec{CN: "Partner Root", IsCA: true}))
			joe := mustPair(t)(root.Issue(pki.Spec{CN: "joe", Client: true}))
			r := e.ok("import", e.file("joe.crt", certPEM(joe.Cert)))
			if !strings.Contains(r.stdout, "imported identity awaiting its key: joe") || !strings.Contains(r.stderr, "kept as an identity awaiting its key") {
				t.Fatalf("leaf alone: %s", r)
			}
			if ls := e.ok("ls").stdout; !strings.Contains(ls, "identity") || !strings.Contains(ls, "awaiting its key") {
				t.Errorf("ls does not show the identity awaiting its key:\n%s", ls)
			}
			if r := e.run("export", "joe", "--no-encrypt"); r.code != 2 || !strings.Contains(r.stderr, "no private key") {
				t.Errorf("export of an identity without key: %s", r)
			}
			files := []string{e.file("joe.key", keyPEM(t, joe))}
			if second == "pair again" {
				files = append(files, e.file("joe2.crt", certPEM(joe.Cert)))
			}
			r = e.ok(append([]string{"import"}, files...)...)
			if !strings.Contains(r.stdout, "completed identity joe") {
				t.Fatalf("key import: %s", r)
			}
			if out := e.ok("export", "joe", "--no-encrypt").stdout; !strings.Contains(out, "PRIVATE KEY") {
				t.Errorf("the completed identity has no key:\n%s", out)
			}
			if ls := e.ok("ls").stdout; strings.Contains(ls, "awaiting") || strings.Contains(ls, "joe-2") {
				t.Errorf("after completion:\n%s", ls)
			}
		})
	}
}

func TestImportGuesses(t *testing.T) {
	e := newEnv(t)
	root := mustPair(t)(pki.NewRoot(pki.Spec{CN: "Partner Root", IsCA: true}))
	joe := mustPair(t)(root.Issue(pki.Spec{CN: "joe", Client: true}))
	other := mustPair(t)(root.Issue(pki.Spec{CN: "joe", Client: true}))

	// --as ca keeps the old behaviour for a leaf.
	if r := e.ok("import", "--as", "ca", "--name", "forced", e.file("root.crt", certPEM(root.Cert))); !strings.Contains(r.stdout, "imported CA forced") {
		t.Errorf("--as ca: %s", r)
	}
	// A CA certificate alone is still a CA.
	e.ok("rm", "forced")
	if r := e.ok("import", e.file("root2.crt", certPEM(root.Cert))); !strings.Contains(r.stdout, "imported CA partner-root") {
		t.Errorf("a CA alone: %s", r)
	}
	// A name with a suffix is announced.
	e.ok("import", e.file("joe.pem", append(certPEM(joe.Cert), keyPEM(t, joe)...)))
	r := e.ok("import", e.file("other.pem", append(certPEM(other.Cert), keyPEM(t, other)...)))
	if !strings.Contains(r.stdout, "imported identity joe-2") || !strings.Contains(r.stderr, "named joe-2, not joe: that name is an identity `joe` already in the workspace") {
		t.Errorf("suffix without a word: %s", r)
	}
}

// TestAwaitingServerCertIsPinnable: a server certificate imported alone
// can be trusted by name, pinned.
func TestAwaitingServerCertIsPinnable(t *testing.T) {
	e := newEnv(t)
	p := tlstest.NewPKI(t)
	addr := tlstest.StartServe(t, serve.Config{Cert: p.ServerCert(), ClientAuth: "none"})
	e.ok("import", "--name", "pinned", e.file("server.crt", certPEM(p.Server.Cert)))
	r := e.run("send", "--no-profile", "--ca", "pinned", "https://"+addr+"/")
	if r.code != 0 {
		t.Errorf("send trusting the pinned server certificate: %s", r)
	}
}
