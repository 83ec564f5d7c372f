package tui

import (
	tea "charm.land/bubbletea/v2"

	"github.com/mtlswb/mtlswb/workspace"
)

// The key agent (`mtlswb unlock`) holds the workspace's master key between
// commands. The TUI asks it before showing the passphrase modal, and L
// makes it forget the key as well, so "locked" means locked everywhere.

// agentAnsweredMsg is the agent's answer: the keys, or nil when it does not
// hold them (or none runs).
type agentAnsweredMsg struct{ keys *workspace.Keys }

func agentKeysCmd(s *workspace.Store, get func(*workspace.Store) *workspace.Keys) tea.Cmd {
	return func() tea.Msg { return agentAnsweredMsg{keys: get(s)} }
}

// askAgent asks the agent for the keys; without an agent it asks for the
// passphrase at once.
func (m *model) askAgent() tea.Cmd {
	if m.opts.AgentKeys == nil {
		return m.askPassphrase("")
	}
	m.unlocking = true
	return agentKeysCmd(m.store, m.opts.AgentKeys)
}

func (m *model) agentAnswered(msg agentAnsweredMsg) (tea.Model, tea.Cmd) {
	m.unlocking = false
	if msg.keys == nil {
		if m.afterUnlock == nil {
			return m, nil
		}
		return m, m.askPassphrase("")
	}
	return m.Update(unlockedMsg{keys: msg.keys})
}

// lockAgent makes the agent forget this workspace's key too.
func (m *model) lockAgent() {
	if m.opts.AgentLock != nil && m.store != nil {
		m.opts.AgentLock(m.store)
	}
}
