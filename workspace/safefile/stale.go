package safefile

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// CleanStale removes the temporary files (CreateTemp with tag) that a
// killed process left beside base in dir: those whose writer is no longer
// running, or started after the file was last written (its pid was
// reused). Names from before pids were recorded (".BASE.TAG-DIGITS") are
// removed when no other process named program is running, or when they are
// older than the oldest one that is. It returns the paths removed and
// ignores what it cannot remove: cleaning is a courtesy, never a failure.
func CleanStale(dir, base, tag, program string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	prefix := tempPrefix(base, tag)
	var removed []string
	oldest := time.Time{}
	oldestKnown := false
	for _, e := range entries {
		name := e.Name()
		rest, ok := strings.CutPrefix(name, prefix)
		if !ok || !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue
		}
		stale := false
		if pidText, _, hasPID := strings.Cut(rest, "-"); hasPID {
			pid, err := strconv.Atoi(pidText)
			if err != nil || pid == os.Getpid() {
				continue
			}
			started, running := processStart(pid)
			stale = !running || (!started.IsZero() && started.After(fi.ModTime()))
		} else {
			if !oldestKnown {
				oldest, oldestKnown = oldestOther(program), true
			}
			stale = oldest.IsZero() || fi.ModTime().Before(oldest)
		}
		if !stale {
			continue
		}
		p := filepath.Join(dir, name)
		if os.Remove(p) == nil {
			removed = append(removed, p)
		}
	}
	return removed
}
