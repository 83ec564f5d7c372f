package tlsengine_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoUIOrStorageDeps keeps the engine free of the terminal UI and the
// workspace database: it takes and returns standard-library types only.
func TestNoUIOrStorageDeps(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps",
		"github.com/mtlswb/mtlswb/tlsengine",
		"github.com/mtlswb/mtlswb/tlsengine/serve",
		"github.com/mtlswb/mtlswb/tlsengine/tlstest").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, bad := range []string{"charm.land/", "github.com/charmbracelet/", "go.etcd.io/bbolt", "github.com/mtlswb/mtlswb/workspace", "github.com/mtlswb/mtlswb/tui"} {
			if strings.HasPrefix(dep, bad) {
				t.Errorf("the engine depends on %s", dep)
			}
		}
	}
}
