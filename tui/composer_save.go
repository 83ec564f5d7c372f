package tui

import (
	"encoding/json"
	"errors"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
	"github.com/mtlswb/mtlswb/workspace"
)

// Saving: ctrl+w saves under the name the request was loaded with (asked,
// pre-filled), ctrl+o under a new one; a name that holds another saved
// request is replaced only after a confirmation. The form remembers what
// it last loaded or saved, so the title can mark unsaved edits and quitting
// can ask before losing them.

// pendingSave is a save sent to the workspace and not yet confirmed.
type pendingSave struct {
	name, spec string
}

func specKey(spec workspace.RequestSpec) string {
	b, _ := json.Marshal(spec) // a RequestSpec always marshals
	return string(b)
}

func (s *composerScreen) markClean() { s.clean = specKey(s.spec(false)) }

// dirty reports whether the form holds edits not loaded or saved.
func (s *composerScreen) dirty() bool { return specKey(s.spec(false)) != s.clean }

func (s *composerScreen) setSavedNames(saved []workspace.SavedRequest) {
	s.savedNames = make(map[string]bool, len(saved))
	for _, r := range saved {
		s.savedNames[r.Name] = true
	}
}

// saved is told a save finished; the form is clean if it still holds what
// was saved.
func (s *composerScreen) saved(name string) {
	if s.pending.name != name {
		return
	}
	s.loadedName = name
	if specKey(s.spec(false)) == s.pending.spec {
		s.clean = s.pending.spec
	}
	s.pending = pendingSave{}
}

// saveForm asks for the name, pre-filled with the loaded one unless asNew.
func (s *composerScreen) saveForm(asNew bool) tea.Cmd {
	spec := s.spec(false)
	if spec.URL == "" {
		s.sh.host.setError(errors.New("the URL is empty: there is nothing to save yet"))
		return nil
	}
	name := s.loadedName
	title := "Save request"
	if asNew {
		name, title = "", "Save request as"
	}
	f := newForm(title, "Saved requests live in the workspace; find them under History (4), Saved.")
	f.addText("Name", name, "e.g. orders-api-get")
	f.submit = func(v []string) (tea.Cmd, error) {
		name := strings.TrimSpace(v[0])
		if err := workspace.ValidateName(name); err != nil {
			return nil, err
		}
		if s.savedNames[name] && name != s.loadedName {
			return s.confirmReplace(name, spec), nil
		}
		return s.store(name, spec), nil
	}
	return s.sh.host.openForm(f)
}

func (s *composerScreen) confirmReplace(name string, spec workspace.RequestSpec) tea.Cmd {
	f := newForm("Replace saved request "+safetext.Line(name)+"?",
		"A saved request with that name exists; saving replaces it. Its history stays.")
	f.confirm = true
	f.submit = func([]string) (tea.Cmd, error) { return s.store(name, spec), nil }
	f.cancel = func() tea.Cmd {
		s.sh.host.setInfo("not saved: " + safetext.Line(name) + " left as it was")
		return nil
	}
	return s.sh.host.openForm(f)
}

func (s *composerScreen) store(name string, spec workspace.RequestSpec) tea.Cmd {
	s.pending = pendingSave{name: name, spec: specKey(spec)}
	return saveRequestCmd(s.sh.store, name, spec, s.sh.now())
}
