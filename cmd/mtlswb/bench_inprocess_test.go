package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mtlswb/mtlswb/tlsengine/pki"
	"github.com/mtlswb/mtlswb/workspace"
)

// BenchmarkLsJSONInProcess is `ls --json` on 10,000 identities without process
// start-up, for profiling (-cpuprofile) what the whole-process figure hides.
func BenchmarkLsJSONInProcess(b *testing.B) {
	path := filepath.Join(b.TempDir(), "ws.db")
	s, err := workspace.Create(path, workspace.CreateOptions{NoPassphrase: true})
	if err != nil {
		b.Fatal(err)
	}
	keys, _ := s.Unlock(nil)
	root, _ := pki.NewRoot(pki.Spec{CN: "Root", IsCA: true})
	var recs []workspace.NewRecord
	for i := range 10000 {
		p, _ := root.Issue(pki.Spec{CN: fmt.Sprintf("u%05d", i), Client: true})
		recs = append(recs, workspace.NewRecord{Kind: workspace.KindIdentity, Name: fmt.Sprintf("u%05d", i), Chain: []*x509.Certificate{p.Cert}, Key: p.Key})
	}
	if err := s.Add(keys, recs); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		var out, errb bytes.Buffer
		if code := runEnv(context.Background(), []string{"--workspace", path, "ls", "--json"}, strings.NewReader(""), &out, &errb, func(string) string { return "" }); code != 0 {
			b.Fatal(errb.String())
		}
	}
}

// BenchmarkImportInProcess shows how import scales with the number of files
// (it must stay near-linear: grouping once was quadratic).
func BenchmarkImportInProcess(b *testing.B) {
	for _, n := range []int{1000, 4000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			dir := b.TempDir()
			identityFiles(b, dir, n)
			for b.Loop() {
				ws := filepath.Join(b.TempDir(), "ws.db")
				get := func(k string) string { return map[string]string{"MTLSWB_PASSPHRASE": "x"}[k] }
				var out, errb bytes.Buffer
				runEnv(context.Background(), []string{"--workspace", ws, "init"}, strings.NewReader(""), &out, &errb, get)
				if code := runEnv(context.Background(), []string{"--workspace", ws, "import", dir}, strings.NewReader(""), &out, &errb, get); code != 0 {
					b.Fatal(errb.String())
				}
			}
		})
	}
}
