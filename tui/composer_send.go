package tui

import (
	"context"
	"errors"

	tea "charm.land/bubbletea/v2"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/workspace"
	"github.com/mtlswb/mtlswb/workspace/plan"
)

// acceptReport reports whether msg answers the request in flight; a late
// answer to a cancelled or replaced request is dropped.
func (s *composerScreen) acceptReport(msg reportReceivedMsg) bool {
	if !s.sending || msg.id != s.reqID {
		return false
	}
	s.sending = false
	if s.cancel != nil {
		s.cancel()
		s.cancel = nil
	}
	return true
}

func (s *composerScreen) markIdentities(v []tlsengine.IdentityVerdict) {
	if len(v) == 0 {
		return
	}
	s.verdicts = make(map[string]tlsengine.IdentityVerdict, len(v))
	for _, iv := range v {
		s.verdicts[iv.Name] = iv
	}
}

// send starts the request: the planner decides in a command (reading the
// profiles, probing for an auto identity), then start sends it.
func (s *composerScreen) send(probe bool) tea.Cmd {
	if s.sending {
		s.sh.host.setInfo("a request is running: esc cancels it")
		return nil
	}
	spec := s.spec(probe)
	if spec.URL == "" {
		s.sh.host.setError(errors.New("the URL is empty: type an https:// URL (or host:port to probe)"))
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.reqID++
	s.cancel, s.sending, s.probe, s.started = cancel, true, probe, s.sh.now()
	return tea.Batch(s.spin.Tick, decideCmd(ctx, s.sh.store, s.sh.engine, s.reqID, s.planInput(spec)))
}

// start sends a decided plan; when it needs a key the keys are unlocked
// first. note, when set, heads the report's warnings (how the identity was
// chosen).
func (s *composerScreen) start(p *plan.Plan, note string) tea.Cmd {
	start := func(keys *workspace.Keys) tea.Cmd {
		ctx, cancel := context.WithCancel(context.Background())
		s.reqID++
		s.cancel, s.sending, s.probe, s.started = cancel, true, p.Spec.Probe, s.sh.now()
		return tea.Batch(s.spin.Tick, withNote(sendCmd(ctx, keys, s.sh.engine, s.reqID, p), note))
	}
	if !p.NeedsKey() {
		return start(nil)
	}
	return s.sh.host.withKeys(start)
}

func (s *composerScreen) cancelSend() {
	if s.cancel != nil {
		s.cancel()
		s.cancel = nil
	}
	s.sending = false
	s.reqID++ // whatever answers now is stale
	s.sh.host.setInfo("request cancelled")
}
