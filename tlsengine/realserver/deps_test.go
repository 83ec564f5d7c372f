package realserver_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoUIOrStorageDeps keeps the harness usable from the engine's tests:
// it imports nothing of the workspace, the terminal UI or bbolt.
func TestNoUIOrStorageDeps(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "github.com/mtlswb/mtlswb/tlsengine/realserver").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, bad := range []string{"charm.land/", "github.com/charmbracelet/", "go.etcd.io/bbolt", "github.com/mtlswb/mtlswb/workspace", "github.com/mtlswb/mtlswb/tui"} {
			if strings.HasPrefix(dep, bad) {
				t.Errorf("the real-server harness depends on %s", dep)
			}
		}
	}
}
