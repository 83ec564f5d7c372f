package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestHistoryCommands: a token sent in a header is sealed in the file, read
// back as a placeholder, opened with --unseal; policy, retention and clear
// work from the CLI.
func TestHistoryCommands(t *testing.T) {
	e := newEnv(t)
	const token = "Bearer tok-9f8e7d6c5b4a39281706"
	for range 3 {
		e.run("send", "--no-profile", "--timeout", "1s", "-H", "Authorization: "+token, "https://127.0.0.1:1/")
	}
	file, _ := os.ReadFile(e.ws)
	for _, form := range []string{"tok-9f8e7d6c5b4a39281706", base64.StdEncoding.EncodeToString([]byte(token))[4:24]} {
		if bytes.Contains(file, []byte(form)) {
			t.Fatalf("the token is in the workspace file (as %q)", form)
		}
	}
	r := e.ok("history", "ls")
	if strings.Count(r.stdout, "https://127.0.0.1:1/") != 3 {
		t.Fatalf("history ls:\n%s", r)
	}
	var list []map[string]any
	if err := json.Unmarshal([]byte(e.ok("history", "ls", "--json", "--limit", "2").stdout), &list); err != nil || len(list) != 2 {
		t.Fatalf("history ls --json --limit 2: %v, %d entries", err, len(list))
	}
	if r := e.ok("history", "show", "3"); strings.Contains(r.stdout, "tok-") || !strings.Contains(r.stdout, "Authorization: [sealed") {
		t.Fatalf("history show without --unseal:\n%s", r)
	}
	if r := e.ok("history", "show", "3", "--unseal"); !strings.Contains(r.stdout, token) {
		t.Fatalf("history show --unseal:\n%s", r)
	}
	e.ok("history", "policy", "--keep", "2", "--secret-header", "X-Api-Key")
	if r := e.ok("history", "policy", "--json"); !strings.Contains(r.stdout, `"keep":2`) || !strings.Contains(r.stdout, "X-Api-Key") {
		t.Fatalf("history policy --json:\n%s", r)
	}
	if r := e.ok("history", "ls", "--json"); strings.Count(r.stdout, `"id"`) != 2 {
		t.Fatalf("after --keep 2:\n%s", r)
	}
	if r := e.ok("history", "clear", "--older-than", "30d"); !strings.Contains(r.stdout, "deleted 0 attempt(s)") {
		t.Fatalf("clear --older-than 30d:\n%s", r)
	}
	if r := e.ok("history", "clear"); !strings.Contains(r.stdout, "deleted 2 attempt(s)") {
		t.Fatalf("clear:\n%s", r)
	}
	if r := e.run("history", "clear", "--older-than", "soon"); r.code != exitUsage {
		t.Fatalf("a bad --older-than:\n%s", r)
	}
	if r := e.run("history", "show", "1"); r.code != exitUsage {
		t.Fatalf("show of a cleared attempt:\n%s", r)
	}
}
