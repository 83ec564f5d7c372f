package main

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// commit is set by `make build` (-ldflags "-X main.commit=..."); a build
// that stamps version control information (go build in a git checkout,
// without -buildvcs=false) needs no flag.
var commit string

// versionLine says which mtlswb this is: `go install …@vX` stamps vX,
// `make build` passes `git describe`, and a plain build says "dev".
func versionLine() string {
	v, rev, dirty := version, commit, false
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if rev == "" {
					rev = s.Value
				}
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	parts := []string{}
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if dirty {
			rev += "-dirty"
		}
		parts = append(parts, "commit "+rev)
	}
	parts = append(parts, runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH)
	return "mtlswb " + v + " (" + strings.Join(parts, ", ") + ")"
}
