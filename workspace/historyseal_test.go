package workspace

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/mtlswb/mtlswb/tlsengine"
)

// secretAttempt is an attempt carrying credentials everywhere history
// keeps them.
func secretAttempt() HistoryEntry {
	req, _ := json.Marshal(map[string]any{
		"url":     "https://api.example/",
		"headers": []string{"Authorization: Bearer TOKEN-0123456789abcdef", "X-Api-Key: APIKEY-fedcba9876543210", "Accept: application/json"},
		"body":    "BODY-SECRET-31415926",
	})
	rep, _ := json.Marshal(map[string]any{
		"ok": true,
		"http": map[string]any{
			"status":       200,
			"headers":      map[string][]string{"Set-Cookie": {"sid=COOKIE-27182818"}, "Content-Type": {"text/plain"}},
			"body_preview": "RESPONSE-SECRET-16180339",
		},
	})
	return HistoryEntry{Method: "GET", URL: "https://api.example/", Request: req, Report: rep}
}

var secretValues = []string{"TOKEN-0123456789abcdef", "APIKEY-fedcba9876543210", "BODY-SECRET-31415926", "COOKIE-27182818", "RESPONSE-SECRET-16180339"}

// requireAbsent fails when any secret is in the file, in clear or base64
// at any alignment (history's JSON documents are stored base64-encoded).
func requireAbsent(t *testing.T, path string, secrets ...string) {
	t.Helper()
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		forms := []string{s}
		for pad := range 3 {
			enc := base64.StdEncoding.EncodeToString(append(bytes.Repeat([]byte{'x'}, pad), s...))
			forms = append(forms, enc[4:len(enc)-4]) // the middle, which does not depend on neighbours
		}
		for _, f := range forms {
			if bytes.Contains(file, []byte(f)) {
				t.Errorf("%q is in the file (as %q)", s, f)
			}
		}
	}
}

// readLocked reads history entry id with a Store that was never unlocked.
func readLocked(t *testing.T, path string, id uint64) *HistoryEntry {
	t.Helper()
	fresh, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	e, err := fresh.HistoryItem(id)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestHistorySealed(t *testing.T) {
	s, keys := newStore(t, true)
	if err := s.SetHistoryPolicy(HistoryPolicy{SecretHeaders: []string{"x-api-key"}, SealBodies: true}); err != nil {
		t.Fatal(err)
	}
	id, err := s.AddHistory(secretAttempt())
	if err != nil {
		t.Fatal(err)
	}
	requireAbsent(t, s.Path(), secretValues...)

	// A Store that was never unlocked reads placeholders.
	locked := readLocked(t, s.Path(), id)
	doc := string(locked.Request) + string(locked.Report)
	for _, want := range []string{"Authorization: " + SealedPlaceholder, "Accept: application/json", "text/plain"} {
		if !strings.Contains(doc, want) {
			t.Errorf("read without keys: %q missing from\n%s", want, doc)
		}
	}
	for _, secret := range secretValues {
		if strings.Contains(doc, secret) {
			t.Errorf("read without keys shows %q", secret)
		}
	}
	open, err := s.UnsealedHistoryItem(keys, id)
	if err != nil {
		t.Fatal(err)
	}
	doc = string(open.Request) + string(open.Report)
	for _, secret := range secretValues {
		if !strings.Contains(doc, secret) {
			t.Errorf("unsealed entry lacks %q:\n%s", secret, doc)
		}
	}
	if _, err := s.UnsealedHistoryItem(lockedKeys(), id); err == nil {
		t.Error("unsealed with locked keys")
	}
	// The Store that was unlocked opens them by itself, until the keys
	// are locked.
	if e, _ := s.HistoryItem(id); !strings.Contains(string(e.Request), secretValues[0]) {
		t.Errorf("HistoryItem on the unlocked Store:\n%s", e.Request)
	}
	keys.Lock()
	if e, _ := s.HistoryItem(id); strings.Contains(string(e.Request), secretValues[0]) {
		t.Errorf("HistoryItem after Lock:\n%s", e.Request)
	}
}

// TestHistoryRedacted: without a passphrase and with Redact, secrets are
// dropped; a workspace from before sealing redacts until it is unlocked.
func TestHistoryRedacted(t *testing.T) {
	s, _ := newStore(t, false)
	if err := s.SetHistoryPolicy(HistoryPolicy{Redact: true}); err != nil {
		t.Fatal(err)
	}
	id, _ := s.AddHistory(secretAttempt())
	e, _ := s.HistoryItem(id)
	if !strings.Contains(string(e.Request), "Authorization: [redacted]") {
		t.Errorf("redacted request:\n%s", e.Request)
	}
	requireAbsent(t, s.Path(), "TOKEN-0123456789abcdef", "COOKIE-27182818")

	old, keys := newStore(t, true)
	old.update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Delete(metaHistoryPub) })
	id, _ = old.AddHistory(secretAttempt())
	if e, _ := old.HistoryItem(id); !strings.Contains(string(e.Request), "Authorization: [redacted]") {
		t.Errorf("a workspace without its history key stored:\n%s", e.Request)
	}
	if _, err := old.Unlock(testPassphrase); err != nil {
		t.Fatal(err)
	}
	id, _ = old.AddHistory(secretAttempt())
	if e, _ := old.UnsealedHistoryItem(keys, id); !strings.Contains(string(e.Request), "TOKEN-0123456789abcdef") {
		t.Errorf("after an unlock, history is sealed and opens:\n%s", e.Request)
	}
	requireAbsent(t, old.Path(), "TOKEN-0123456789abcdef")
}

func TestHistoryRetentionAndClear(t *testing.T) {
	s, _ := newStore(t, true)
	if p, _ := s.HistoryPolicy(); p.keep() != DefaultHistoryKeep || DefaultHistoryKeep != 1000 {
		t.Fatalf("default keep = %d", p.keep())
	}
	if err := s.SetHistoryPolicy(HistoryPolicy{Keep: 5}); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-48 * time.Hour)
	for i := range 8 {
		e := HistoryEntry{URL: "https://x/"}
		if i < 6 {
			e.At = old
		}
		if _, err := s.AddHistory(e); err != nil {
			t.Fatal(err)
		}
	}
	h, _ := s.History(0)
	if len(h) != 5 || h[0].ID != 8 || h[4].ID != 4 {
		t.Fatalf("kept %d entries, ids %d..%d; want 5, 8..4", len(h), h[0].ID, h[len(h)-1].ID)
	}
	n, err := s.ClearHistoryBefore(time.Now().Add(-24 * time.Hour))
	if err != nil || n != 3 {
		t.Fatalf("ClearHistoryBefore = %d, %v; want 3", n, err)
	}
	if h, _ := s.History(0); len(h) != 2 {
		t.Fatalf("%d entries left, want 2", len(h))
	}
	if err := s.ClearHistory(); err != nil {
		t.Fatal(err)
	}
	if id, _ := s.AddHistory(HistoryEntry{}); id != 9 {
		t.Fatalf("the id after clearing is %d, want 9", id)
	}
}

// TestPurgeAfterRemove: a removed identity's sealed key, and a cleared
// attempt's sealed token, are gone from the file, not just unlinked.
func TestPurgeAfterRemove(t *testing.T) {
	f := newFixture(t, true)
	var sealedKey []byte
	f.s.view(func(tx *bolt.Tx) error {
		_, body, err := getRecord(tx, "joe")
		// Record bodies are JSON: the key is stored base64-encoded.
		sealedKey = []byte(base64.StdEncoding.EncodeToString(body.Key))
		return err
	})
	file, _ := os.ReadFile(f.s.Path())
	if len(sealedKey) == 0 || !bytes.Contains(file, sealedKey[:32]) {
		t.Fatal("the fixture's sealed key is not in the file to begin with")
	}
	if err := f.s.Remove("joe", false); err != nil {
		t.Fatal(err)
	}
	if file, _ = os.ReadFile(f.s.Path()); bytes.Contains(file, sealedKey[:32]) {
		t.Fatal("the removed identity's sealed key is still in the file")
	}

	id, _ := f.s.AddHistory(secretAttempt())
	e, _ := f.s.storedSlice(id)
	if err := f.s.ClearHistory(); err != nil {
		t.Fatal(err)
	}
	if file, _ = os.ReadFile(f.s.Path()); bytes.Contains(file, e) {
		t.Fatal("the cleared attempt's sealed value is still in the file")
	}
}

// storedSlice returns the stored bytes of history entry id.
func (s *Store) storedSlice(id uint64) ([]byte, error) {
	var v []byte
	err := s.view(func(tx *bolt.Tx) error {
		v = bytes.Clone(tx.Bucket(bucketHistory).Get(u64(id)))
		return nil
	})
	return v[len(v)/2 : len(v)/2+48], err
}

// TestHistoryKeepsExactBytes: history keeps a report's answer byte for
// byte (the first 4 KiB of the body), seals a secret header that is not
// UTF-8 in its exact form too, and seals the body under SealBodies.
func TestHistoryKeepsExactBytes(t *testing.T) {
	s, keys := newStore(t, true)
	if err := s.SetHistoryPolicy(HistoryPolicy{SealBodies: true}); err != nil {
		t.Fatal(err)
	}
	const cookie = "sid=RAW-COOKIE-\xff\x1b[2J"
	body := append([]byte("BODY-SECRET-\x00\x1b]52;c;eA==\x07"), bytes.Repeat([]byte("é"), 3000)...)
	rep := tlsengine.Report{OK: true, HTTP: &tlsengine.HTTPInfo{Status: 200, BodyBytes: int64(len(body)), Body: body,
		Headers: map[string][]string{"Set-Cookie": {cookie}, "X-Plain": {"ok\u202e"}}}}
	id, err := s.Remember(RequestSpec{URL: "https://api.example/"}, rep, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.HTTP.Body) != len(body) {
		t.Error("Remember cut the caller's body")
	}
	read := func(e *HistoryEntry) tlsengine.Report {
		t.Helper()
		var r tlsengine.Report
		if err := json.Unmarshal(e.Report, &r); err != nil {
			t.Fatal(err)
		}
		return r
	}

	locked := readLocked(t, s.Path(), id)
	for _, secret := range []string{"RAW-COOKIE", base64.StdEncoding.EncodeToString([]byte(cookie))[:12], "BODY-SECRET", base64.StdEncoding.EncodeToString(body)[:12]} {
		if strings.Contains(string(locked.Report), secret) {
			t.Errorf("read without keys shows %q:\n%s", secret, locked.Report)
		}
	}
	if r := read(locked); r.HTTP.Headers["Set-Cookie"][0] != SealedPlaceholder || string(r.HTTP.Body) != SealedPlaceholder || r.HTTP.Headers["X-Plain"][0] != "ok\u202e" {
		t.Errorf("read without keys: %q, body %q", r.HTTP.Headers, r.HTTP.Body)
	}

	open, err := s.UnsealedHistoryItem(keys, id)
	if err != nil {
		t.Fatal(err)
	}
	r := read(open)
	if r.HTTP.Headers["Set-Cookie"][0] != cookie {
		t.Errorf("unsealed cookie %q, want %q", r.HTTP.Headers["Set-Cookie"][0], cookie)
	}
	// The cut falls inside an "é": the text stays text, one byte short.
	if want := body[:historyBodyKeep-1]; !bytes.Equal(r.HTTP.Body, want) || r.HTTP.BodyBytes != int64(len(body)) {
		t.Errorf("unsealed body: %d bytes (%d counted), want the first %d (%d)", len(r.HTTP.Body), r.HTTP.BodyBytes, len(want), len(body))
	}
}
