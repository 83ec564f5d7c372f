package tui

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/workspace"
)

// TestSaveOffersTheLoadedName: a request loaded from Saved is saved back
// under its name without a question; saving over another one asks first;
// the title marks unsaved edits until then.
func TestSaveOffersTheLoadedName(t *testing.T) {
	ws := newTestWorkspace(t, false)
	addTestHistory(t, ws.store)
	spec, _ := json.Marshal(workspace.RequestSpec{Method: "GET", URL: "https://other.example/"})
	if err := ws.store.SaveRequest(workspace.SavedRequest{Name: "other", Spec: spec, Saved: fixedNow}); err != nil {
		t.Fatal(err)
	}
	m := newTestModel(t, ws.copyOf(t), nil)
	start(t, m, 100, 30)
	press(t, m, "4", "tab", "enter") // create-order, first by name
	if v := plainView(m); !strings.Contains(v, "Request · create-order") || strings.Contains(v, "unsaved") {
		t.Fatalf("the loaded request is not named, or marked unsaved:\n%s", v)
	}
	press(t, m, "enter", "end") // the URL has the focus: type at its end
	typeText(t, m, "?x=1")
	press(t, m, "esc")
	if v := plainView(m); !strings.Contains(v, "● unsaved") {
		t.Fatalf("an edit is not marked:\n%s", v)
	}
	press(t, m, "ctrl+w")
	if m.modal == nil || m.modal.fields[0].input.Value() != "create-order" {
		t.Fatalf("save does not offer the loaded name:\n%s", plainView(m))
	}
	press(t, m, "enter")
	if m.modal != nil || m.composer.dirty() {
		t.Fatalf("saving under the loaded name asked, or left the form dirty:\n%s", plainView(m))
	}
	saved := savedSpec(t, m, "create-order")
	if saved.URL != "https://api.example.org:8443/orders?x=1" {
		t.Fatalf("saved URL %q", saved.URL)
	}

	// Save as "other": it exists, so it asks; n leaves it alone.
	press(t, m, "ctrl+o")
	if m.modal == nil || m.modal.fields[0].input.Value() != "" {
		t.Fatalf("save as pre-fills a name:\n%s", plainView(m))
	}
	typeText(t, m, "other")
	press(t, m, "enter")
	if !strings.Contains(plainView(m), "Replace saved request other?") {
		t.Fatalf("overwriting another saved request does not ask:\n%s", plainView(m))
	}
	press(t, m, "n")
	if got := savedSpec(t, m, "other"); got.URL != "https://other.example/" {
		t.Fatalf("declining replaced it: %q", got.URL)
	}
	press(t, m, "ctrl+o")
	typeText(t, m, "other")
	press(t, m, "enter", "y")
	if got := savedSpec(t, m, "other"); got.URL != "https://api.example.org:8443/orders?x=1" {
		t.Fatalf("confirming did not replace it: %q", got.URL)
	}
	if !strings.Contains(plainView(m), "Request · other") {
		t.Fatalf("the form is not named after the save:\n%s", plainView(m))
	}
}

func savedSpec(t *testing.T, m *model, name string) workspace.RequestSpec {
	t.Helper()
	all, err := m.store.SavedRequests()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range all {
		if r.Name == name {
			var sp workspace.RequestSpec
			if err := json.Unmarshal(r.Spec, &sp); err != nil {
				t.Fatal(err)
			}
			return sp
		}
	}
	t.Fatalf("no saved request %s", name)
	return workspace.RequestSpec{}
}

// TestPaletteSave: :save runs the save.
func TestPaletteSave(t *testing.T) {
	ws := newTestWorkspace(t, false)
	m := newTestModel(t, ws.copyOf(t), nil)
	start(t, m, 100, 30)
	press(t, m, "3")
	typeText(t, m, "https://example.org/")
	press(t, m, "esc", ":")
	typeText(t, m, ":save")
	press(t, m, "enter")
	if m.modal == nil || !strings.Contains(plainView(m), "Save request") {
		t.Fatalf(":save did not open the save form:\n%s", plainView(m))
	}
}

// TestTrustShowsWhatIsUsed: when a profile's CAs will be used, the Trust
// field says so instead of the form's default.
func TestTrustShowsWhatIsUsed(t *testing.T) {
	m := newTestModel(t, profileWorkspace(t), nil)
	start(t, m, 120, 40)
	press(t, m, "3")
	typeText(t, m, "https://api.example.org/")
	v := plainView(m)
	if !strings.Contains(v, "Trust      dev-root  (from profile partner)") {
		t.Fatalf("Trust does not show the profile's CA:\n%s", v)
	}
	press(t, m, "esc", "v")
	v = plainView(m)
	for _, want := range []string{"Request as sent", "GET https://api.example.org/", "alice  ← profile partner", "dev-root  ← profile partner", "h2, http/1.1"} {
		if !strings.Contains(v, want) {
			t.Errorf("the request as sent lacks %q:\n%s", want, v)
		}
	}
	press(t, m, "esc")
	if m.composer.asSent || m.page != pageComposer {
		t.Fatal("esc did not return to the form")
	}
}

// TestBadgesFollowTheURL: what a server accepted is shown for that server
// only; another host clears the badge.
func TestBadgesFollowTheURL(t *testing.T) {
	ws := newTestWorkspace(t, false)
	eng := func(_ context.Context, _ tlsengine.Request) tlsengine.Report { return okReport() }
	m := newTestModel(t, ws.copyOf(t), eng)
	start(t, m, 120, 40)
	press(t, m, "3")
	typeText(t, m, "https://api.example.org/")
	press(t, m, "tab", "tab", "tab", "right", "ctrl+s") // identity alice
	press(t, m, "3")
	if v := plainView(m); !strings.Contains(v, "✓ server accepts") {
		t.Fatalf("no badge after the send:\n%s", v)
	}
	press(t, m, "shift+tab", "shift+tab", "shift+tab", "end") // back to the URL, typing
	typeText(t, m, "v2")
	if m.composer.verdicts == nil {
		t.Fatal("a new path on the same server dropped the verdicts")
	}
	for range len("api.example.org/v2") {
		press(t, m, "backspace")
	}
	typeText(t, m, "other.example/")
	if v := plainView(m); strings.Contains(v, "server accepts") || m.composer.verdicts != nil {
		t.Fatalf("the badge survived a change of server:\n%s", v)
	}
}

// TestCustomMethod: enter on Method takes any token; a bad one is flagged.
func TestCustomMethod(t *testing.T) {
	eng := &recordingEngine{}
	ws := newTestWorkspace(t, false)
	m := newTestModel(t, ws.copyOf(t), eng.run)
	start(t, m, 120, 40)
	press(t, m, "3")
	typeText(t, m, "https://example.org/")
	press(t, m, "up", "enter")
	for range 3 {
		press(t, m, "backspace")
	}
	typeText(t, m, "propfind")
	press(t, m, "esc")
	if v := plainView(m); !strings.Contains(v, "◂ PROPFIND ▸") {
		t.Fatalf("the typed method is not shown:\n%s", v)
	}
	press(t, m, "right")
	if got := m.composer.methodName(); got != "GET" {
		t.Fatalf("→ from a typed method gives %s, want GET", got)
	}
	press(t, m, "left", "left", "enter")
	for range 10 {
		press(t, m, "backspace")
	}
	typeText(t, m, "PROP FIND")
	press(t, m, "esc")
	if v := plainView(m); !strings.Contains(v, "is not an HTTP method token") {
		t.Fatalf("a bad method is not flagged:\n%s", v)
	}
	press(t, m, "enter")
	for range 10 {
		press(t, m, "backspace")
	}
	typeText(t, m, "PURGE")
	press(t, m, "ctrl+s")
	if reqs := eng.requests(); len(reqs) != 1 || reqs[0].Method != "PURGE" {
		t.Fatalf("sent %+v, want one PURGE", reqs)
	}
}

func TestCopyAs(t *testing.T) {
	spec := workspace.RequestSpec{Method: "POST", URL: "https://api.example.org:8443/orders", Headers: []string{"Content-Type: application/json"},
		Body: `{"a":"it's"}`, Identity: "alice", CAs: []string{"dev-root"}, ServerName: "orders.internal", TLSMin: "1.3", Timeout: "5s"}
	curl := curlCommand(spec)
	for _, want := range []string{
		"mtlswb export alice --out alice.pem",
		"mtlswb export dev-root --out dev-root.pem",
		"--request POST",
		"--header 'Content-Type: application/json'",
		`--data-raw '{"a":"it'\''s"}'`,
		"--cert alice.pem",
		"--cacert dev-root.pem",
		"--tlsv1.3",
		"--max-time 5",
		"--connect-to orders.internal:8443:api.example.org:8443",
		"https://orders.internal:8443/orders",
	} {
		if !strings.Contains(curl, want) {
			t.Errorf("curl lacks %q:\n%s", want, curl)
		}
	}
	ossl := opensslCommand(spec)
	for _, want := range []string{"openssl s_client -connect api.example.org:8443", "-servername orders.internal", "-cert alice.pem -key alice.pem",
		"-CAfile dev-root.pem", "-verify_return_error", "-min_protocol TLSv1.3", "</dev/null"} {
		if !strings.Contains(ossl, want) {
			t.Errorf("openssl lacks %q:\n%s", want, ossl)
		}
	}
	for _, out := range []string{curl, ossl} {
		if strings.Contains(out, "PRIVATE KEY") || strings.Contains(out, "BEGIN") {
			t.Errorf("key material in a command line:\n%s", out)
		}
	}
}

// TestCopyKeys: y and Y put the command lines on the clipboard (OSC 52).
func TestCopyKeys(t *testing.T) {
	ws := newTestWorkspace(t, false)
	m := newTestModel(t, ws.copyOf(t), nil)
	start(t, m, 100, 30)
	press(t, m, "3")
	typeText(t, m, "https://example.org/")
	press(t, m, "esc")
	for k, want := range map[string]string{"y": "curl ", "Y": "openssl s_client"} {
		_, cmd := m.Update(keyMsg(k))
		if cmd == nil {
			t.Fatalf("%s returned nothing", k)
		}
		if got := fmt.Sprint(cmd()); !strings.Contains(got, want) {
			t.Errorf("%s put %q on the clipboard", k, got)
		}
		if !strings.Contains(m.status, "OSC 52") {
			t.Errorf("%s: status %q", k, m.status)
		}
	}
}

// TestNewCAForm: N on the CAs screen makes a root, then an intermediate.
func TestNewCAForm(t *testing.T) {
	ws := newTestWorkspace(t, false)
	m := newTestModel(t, ws.copyOf(t), nil)
	start(t, m, 100, 30)
	press(t, m, "2", "N")
	if !strings.Contains(plainView(m), "New CA") {
		t.Fatalf("no form:\n%s", plainView(m))
	}
	typeText(t, m, "ops-root")
	press(t, m, "enter")
	typeText(t, m, "Ops Root CA")
	press(t, m, "enter", "enter", "enter", "enter", "enter")
	if _, ok := m.cas.entries["ops-root"]; !ok || m.cas.list.selectedKey() != "ops-root" {
		t.Fatalf("the CA was not made and selected:\n%s", plainView(m))
	}
	press(t, m, "N")
	typeText(t, m, "ops-int")
	press(t, m, "enter")
	typeText(t, m, "Ops Intermediate")
	press(t, m, "enter")
	for m.modal.fields[2].value() != "ops-root" {
		press(t, m, "right")
	}
	press(t, m, "enter", "enter", "enter", "enter")
	if _, ok := m.cas.entries["ops-int"]; !ok {
		t.Fatalf("the intermediate was not made:\n%s", plainView(m))
	}
	rec, err := m.store.Get("ops-int")
	if err != nil || rec.Chain[0].Issuer.CommonName != "Ops Root CA" || !rec.Chain[0].MaxPathLenZero {
		t.Fatalf("intermediate: %v issuer %q", err, rec.Chain[0].Issuer.CommonName)
	}
}
