package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mtlswb/mtlswb/tlsengine/pki"
)

// TestWorkspacePathMistakes: each wrong --workspace gets a message about
// the mistake, exit 2, and nothing is created.
func TestWorkspacePathMistakes(t *testing.T) {
	dir := t.TempDir()
	root := mustPair(t)(pki.NewRoot(pki.Spec{CN: "Root", IsCA: true}))
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	certFile := write("cert.pem", certPEM(root.Cert))
	keyFile := write("key.pem", keyPEM(t, root))
	derFile := write("cert.der", root.Cert.Raw)
	// An empty or unrecognizable file may be a damaged workspace: that is
	// TestDamagedWorkspaceCommands's, named as damage (exit 1).
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o700)

	cases := []struct {
		path, cmd string
		want      string
	}{
		{sub, "ls", sub + " is a directory, not a workspace file: pass the file, such as --workspace " + filepath.Join(sub, "workspace.db")},
		{sub, "init", sub + " is a directory, not a workspace file"},
		{certFile, "ls", certFile + " is not a workspace file: it holds a PEM certificate — did you mean `mtlswb import " + certFile + "`?"},
		{certFile, "init", certFile + " exists and is not a workspace (it holds a PEM certificate): init never overwrites a file"},
		{keyFile, "rename a b", "it holds a PEM private key — did you mean `mtlswb import"},
		{derFile, "ls", "it holds a DER certificate"},
		{filepath.Join(dir, "nope", "ws.db"), "ls", "the directory " + filepath.Join(dir, "nope") + " does not exist"},
		{filepath.Join(dir, "ws.db"), "ls", "no workspace at " + filepath.Join(dir, "ws.db") + ": run `mtlswb init`"},
	}
	for _, tc := range cases {
		t.Run(tc.cmd+" "+filepath.Base(tc.path), func(t *testing.T) {
			e := &env{t: t, dir: dir, ws: tc.path, vars: map[string]string{"MTLSWB_PASSPHRASE": "x"}}
			r := e.run(strings.Fields(tc.cmd)...)
			if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("want exit 2 and %q: %s", tc.want, r)
			}
			if strings.Contains(r.stderr, "tampered") {
				t.Errorf("a wrong path is not tampering: %s", r)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "nope")); err == nil {
		t.Error("ls created the missing directory")
	}
}
