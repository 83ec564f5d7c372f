package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mtlswb/mtlswb/tlsengine"
)

// TestRenderListsOtherCauses: the text report lists the causes after the
// first, one line each, and nothing when there is one.
func TestRenderListsOtherCauses(t *testing.T) {
	f := &tlsengine.Failure{Phase: tlsengine.PhaseHandshake, Category: tlsengine.ClientCertRejected,
		Summary: "the server rejected identity `joe`",
		Causes:  []tlsengine.Cause{{Category: tlsengine.ClientCertRejected, Confidence: tlsengine.Likely, Evidence: "a close"}}}
	var b bytes.Buffer
	renderReport(&b, tlsengine.Report{Failure: f}, false)
	if strings.Contains(b.String(), "Other possible causes") {
		t.Errorf("one cause, yet a list of others:\n%s", b.String())
	}
	f.Causes = append(f.Causes, tlsengine.Cause{Category: tlsengine.ConnectionReset, Confidence: tlsengine.Possible, Evidence: "no alert\x1b]0;x\x07"})
	b.Reset()
	renderReport(&b, tlsengine.Report{Failure: f}, false)
	if !strings.Contains(b.String(), "  Other possible causes:\n    connection-reset (possible): no alert^[]0;x^G\n") {
		t.Errorf("other causes missing or unsafe:\n%s", b.String())
	}
}
