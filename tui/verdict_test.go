package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/mtlswb/mtlswb/tlsengine"
)

// TestVerdictListsOtherCauses: the Verdict tab shows the causes after the
// first, with their confidence and evidence, and nothing when there is one.
func TestVerdictListsOtherCauses(t *testing.T) {
	st := newStyles(true, true)
	r := failureReport()
	r.Failure.Causes = []tlsengine.Cause{{Category: tlsengine.ClientCertUnknownCA, Confidence: tlsengine.Certain, Evidence: "alert 48"}}
	if got := ansi.Strip(renderVerdict(&st, &r, 80)); strings.Contains(got, "Other possible causes") {
		t.Errorf("one cause, yet a list of others:\n%s", got)
	}
	r.Failure.Causes = append(r.Failure.Causes, tlsengine.Cause{Category: tlsengine.ConnectionReset, Confidence: tlsengine.Possible,
		Evidence: "the close came without an alert\x1b[2J, which a server that rejects a certificate normally sends"})
	got := ansi.Strip(renderVerdict(&st, &r, 60))
	if !strings.Contains(got, "Other possible causes\n• connection-reset (possible): the close came without an\n  alert^[[2J,") {
		t.Errorf("other causes missing, unsafe or unwrapped:\n%s", got)
	}
}
