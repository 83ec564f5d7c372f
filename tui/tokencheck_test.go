package tui

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/mtlswb/mtlswb/tlsengine/boundtoken"
	"github.com/mtlswb/mtlswb/tlsengine/boundtoken/boundtokentest"
)

// TestTokenCheckModal pastes tokens into the modal opened with t from an
// identity's detail pane and reads the verdict off the screen.
func TestTokenCheckModal(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	ws := newTestWorkspace(t, false)
	alice, err := ws.store.Get("alice")
	if err != nil {
		t.Fatal(err)
	}
	bob, err := ws.store.Get("bob-soon")
	if err != nil {
		t.Fatal(err)
	}
	aliceSum := sha256.Sum256(alice.Chain[0].Raw)
	// The model's clock is fixedNow; the token's exp must be relative to it.
	bound := boundtokentest.Claims("alice")
	bound["exp"] = fixedNow.Add(50 * time.Hour).Unix()
	bound["cnf"] = map[string]any{"x5t#S256": boundtoken.Thumbprint(alice.Chain[0])}
	hostile := boundtokentest.Claims("mallory\x1b]52;c;aGk=\x07")
	hostile["cnf"] = map[string]any{"x5t#S256": "\x1b[2Jx"}
	cases := map[string]struct {
		token string
		want  []string
	}{
		"bound":       {boundtokentest.Token(bound), []string{"✓ BOUND", "thumbprint of alice's", "sub alice", "expires in 2", "days"}},
		"other":       {boundtokentest.BoundTo("alice", bob.Chain[0]), []string{"✗ NOT BOUND", "thumbprint of identity bob-soon"}},
		"hex":         {boundtokentest.WithX5t("alice", hex.EncodeToString(aliceSum[:])), []string{"✗ NOT BOUND", "hex-vs-base64url"}},
		"unbound":     {boundtokentest.Token(boundtokentest.Claims("alice")), []string{"✗ NOT CERTIFICATE-BOUND", "no cnf.x5t#S256"}},
		"not a JWT":   {"2YotnFZFEjr1zCsicMWpAA", []string{"✗ NOT A JWT"}},
		"hostile":     {boundtokentest.Token(hostile), []string{"✗ NOT BOUND", "^[[2Jx", "sub mallory^[]52"}},
		"bearer text": {"Bearer " + boundtokentest.BoundTo("alice", alice.Chain[0]), []string{"✓ BOUND"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			m := newTestModel(t, ws.path, nil)
			start(t, m, 140, 50)
			press(t, m, "t")
			if m.modal == nil || !strings.Contains(plainView(m), "Is a token bound to alice?") {
				t.Fatalf("t did not open the token check:\n%s", plainView(m))
			}
			_, cmd := m.Update(tea.PasteMsg{Content: tc.token})
			drive(t, m, cmd)
			press(t, m, "enter")
			// The text input styles itself even without colour, so look
			// for the token's own sequences rather than any ESC.
			frame := m.View().Content
			for _, bad := range []string{"\x1b]52", "\x1b[2J", "\x07"} {
				if strings.Contains(frame, bad) {
					t.Fatalf("frame carries %q from the token: %q", bad, frame)
				}
			}
			view := plainView(m)
			for _, want := range tc.want {
				if !strings.Contains(view, want) {
					t.Errorf("view lacks %q:\n%s", want, view)
				}
			}
			if !strings.Contains(view, "NOT verified") || !strings.Contains(view, "checked "+tc.token[:10]) {
				t.Errorf("the modal must say the signature is not verified:\n%s", view)
			}
			// The modal stays for another token; esc closes it.
			if m.modal == nil {
				t.Fatal("the modal closed after the check")
			}
			press(t, m, "esc")
			if m.modal != nil {
				t.Fatal("esc did not close the modal")
			}
		})
	}
}

// TestTokenCheckNeedsDetails: in a narrow layout the detail is not loaded
// until it is opened; t says so instead of checking against nothing.
func TestTokenCheckNeedsDetails(t *testing.T) {
	ws := newTestWorkspace(t, false)
	m := newTestModel(t, ws.path, nil)
	start(t, m, 80, 30)
	press(t, m, "t")
	if m.modal != nil || !strings.Contains(plainView(m), "details first") {
		t.Fatalf("want a hint to open the details:\n%s", plainView(m))
	}
	press(t, m, "enter", "t")
	if m.modal == nil {
		t.Fatalf("t from the open detail did not open the modal:\n%s", plainView(m))
	}
	press(t, m, "esc", "esc", "2", "t")
	if m.modal != nil {
		t.Fatalf("t opened a token check for a CA:\n%s", plainView(m))
	}
}

func TestRoughly(t *testing.T) {
	for d, want := range map[time.Duration]string{
		59 * time.Second:             "59s",
		90*time.Minute + time.Second: "1h30m0s",
		524 * time.Hour:              "21 days",
	} {
		if got := roughly(d); got != want {
			t.Errorf("roughly(%v) = %q, want %q", d, got, want)
		}
	}
}
