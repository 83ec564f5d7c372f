package tui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/mtlswb/mtlswb/workspace"
)

// TestAgentKeysSkipThePrompt: with the key agent holding the keys, an
// action that needs them runs without the passphrase modal; without, the
// modal comes; L makes the agent forget them too.
func TestAgentKeysSkipThePrompt(t *testing.T) {
	ws := newTestWorkspace(t, true)
	held := true
	locked := 0
	agentKeys := func(s *workspace.Store) *workspace.Keys {
		if !held {
			return nil
		}
		k, err := s.Unlock([]byte(testPass))
		if err != nil {
			t.Error(err)
		}
		return k
	}
	m := New(Options{WorkspacePath: ws.copyOf(t), Now: func() time.Time { return fixedNow },
		AgentKeys: agentKeys, AgentLock: func(*workspace.Store) { locked++; held = false }}).(*model)
	m.sh.pollEvery = 0
	start(t, m, 80, 24)

	ran := 0
	then := func(*workspace.Keys) tea.Cmd { ran++; return nil }
	drive(t, m, m.withKeys(then))
	if ran != 1 || m.keys == nil || m.modal != nil {
		t.Fatalf("agent keys: ran %d, keys %v, modal %v:\n%s", ran, m.keys != nil, m.modal != nil, plainView(m))
	}

	press(t, m, "L")
	if locked != 1 || m.keys != nil {
		t.Fatalf("L: agent locked %d times, keys %v", locked, m.keys != nil)
	}
	drive(t, m, m.withKeys(then))
	if ran != 1 || !strings.Contains(plainView(m), "Unlock the workspace") {
		t.Fatalf("after L the passphrase must be asked:\n%s", plainView(m))
	}
	typeText(t, m, testPass)
	press(t, m, "enter")
	if ran != 2 || m.keys == nil {
		t.Fatalf("typed passphrase: ran %d, keys %v", ran, m.keys != nil)
	}
}
