package tui

import (
	"errors"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
	"github.com/mtlswb/mtlswb/workspace"
)

// The root shows one modal form at a time over the active screen: the
// passphrase prompts that unlock keys, and confirmations a screen asks for.
// Screens open forms through host.openForm and never draw modals themselves.

func (m *model) updateModal(msg tea.Msg) tea.Cmd {
	f := m.modal
	done, cmd := f.update(msg)
	if done && m.modal == f {
		m.modal = nil
	}
	return cmd
}

// openForm shows f as the modal; it replaces any other.
func (m *model) openForm(f *form) tea.Cmd {
	m.modal = f
	return f.init()
}

// withKeys runs then with unlocked keys, asking for the passphrase first when
// the workspace is encrypted and locked. Unlocking is slow on purpose
// (Argon2id), so it runs in a command too.
func (m *model) withKeys(then func(*workspace.Keys) tea.Cmd) tea.Cmd {
	if m.store == nil {
		return nil
	}
	if m.keys != nil {
		return then(m.keys)
	}
	m.afterUnlock = then
	if !m.encrypted {
		m.unlocking = true
		return unlockCmd(m.store, nil)
	}
	return m.askAgent()
}

func (m *model) askPassphrase(problem string) tea.Cmd {
	f := newForm("Unlock the workspace",
		"This needs a private key. The passphrase unlocks the keys for this session;",
		"they lock again after 15 idle minutes or when you press L.")
	f.addSecret("Passphrase")
	f.err = problem
	store := m.store
	f.submit = func(vals []string) (tea.Cmd, error) {
		if vals[0] == "" {
			return nil, errors.New("type the workspace passphrase, or press esc to cancel")
		}
		m.unlocking = true
		return unlockCmd(store, []byte(vals[0])), nil
	}
	f.cancel = func() tea.Cmd {
		m.afterUnlock = nil
		m.setInfo("cancelled: the keys stay locked")
		return nil
	}
	return m.openForm(f)
}

func (m *model) askFilePassphrase(msg needFilePassphraseMsg) tea.Cmd {
	problem := ""
	if msg.wrong {
		problem = "wrong passphrase for the file; try again"
	}
	f := newForm("File passphrase", "The file "+safetext.Line(strings.Join(msg.paths, ", "))+" is encrypted.")
	f.addSecret("Passphrase")
	f.err = problem
	store, keys := m.store, m.keys
	f.submit = func(vals []string) (tea.Cmd, error) {
		return importCmd(store, keys, msg.paths, msg.name, msg.as, []byte(vals[0])), nil
	}
	return m.openForm(f)
}

func (m *model) confirmOverwrite(msg exportExistsMsg) tea.Cmd {
	f := newForm("Replace file?", safetext.Line(msg.path)+" exists. Replace it with the export of "+safetext.Line(msg.name)+"?")
	f.confirm = true
	store, keys := m.store, m.keys
	f.submit = func([]string) (tea.Cmd, error) {
		return exportCmd(store, keys, msg.name, msg.format, msg.path, msg.pass, true), nil
	}
	f.cancel = func() tea.Cmd {
		m.setInfo("export cancelled: " + safetext.Line(msg.path) + " left as it was")
		return nil
	}
	return m.openForm(f)
}
