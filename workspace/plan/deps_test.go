package plan_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoFrontEndDeps keeps the planner below both front ends: the CLI and
// the TUI import it, never the other way round.
func TestNoFrontEndDeps(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/mtlswb/mtlswb/workspace/plan").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, bad := range []string{"charm.land/", "github.com/charmbracelet/", "github.com/mtlswb/mtlswb/tui", "github.com/mtlswb/mtlswb/cmd"} {
			if strings.HasPrefix(dep, bad) {
				t.Errorf("the planner depends on %s", dep)
			}
		}
	}
}
