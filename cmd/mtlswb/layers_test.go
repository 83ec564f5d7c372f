package main

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/mtlswb/mtlswb"

// layerRule forbids the packages under pkg (itself and its subpackages) to
// depend, directly or not, on anything under one of the forbidden paths.
type layerRule struct {
	pkg       string
	forbidden []string
	why       string
}

// layers is the import direction of the module: cmd/mtlswb → tui →
// workspace → tlsengine. Each package's doc comment states its own rule.
var layers = []layerRule{
	{
		pkg:       module + "/tlsengine",
		forbidden: []string{module + "/workspace", module + "/tui", "charm.land/", "github.com/charmbracelet/", "go.etcd.io/bbolt"},
		why:       "the engine takes and returns standard-library types; storage and the terminal UI are its callers' business",
	},
	{
		pkg:       module + "/workspace",
		forbidden: []string{module + "/tui", "charm.land/", "github.com/charmbracelet/"},
		why:       "the keystore serves the CLI and the TUI alike and must not pull the terminal UI into the CLI",
	},
}

// listedPackage is the part of `go list -json` output the guard reads.
type listedPackage struct {
	ImportPath string
	Doc        string
	Imports    []string
	Standard   bool
}

// under reports whether path is prefix itself or below it. A prefix ending
// in "/" names a whole domain (charm.land/).
func under(path, prefix string) bool {
	if strings.HasSuffix(prefix, "/") {
		return strings.HasPrefix(path, prefix)
	}
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

// layerViolations returns one message per package that breaks a rule, with
// the import chain that leads to the forbidden package.
func layerViolations(pkgs []listedPackage, rules []layerRule) []string {
	byPath := make(map[string]listedPackage, len(pkgs))
	for _, p := range pkgs {
		byPath[p.ImportPath] = p
	}
	var out []string
	for _, p := range pkgs {
		for _, r := range rules {
			if !under(p.ImportPath, r.pkg) {
				continue
			}
			if chain := importChain(byPath, p.ImportPath, r.forbidden); chain != nil {
				out = append(out, strings.Join(chain, " → ")+": "+r.why)
			}
		}
	}
	return out
}

// importChain finds, breadth first, the shortest import chain from start to
// a package under one of forbidden, or nil.
func importChain(byPath map[string]listedPackage, start string, forbidden []string) []string {
	prev := map[string]string{start: ""}
	queue := []string{start}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if cur != start && slices.ContainsFunc(forbidden, func(f string) bool { return under(cur, f) }) {
			var chain []string
			for p := cur; p != ""; p = prev[p] {
				chain = append(chain, p)
			}
			slices.Reverse(chain)
			return chain
		}
		for _, imp := range byPath[cur].Imports {
			if _, seen := prev[imp]; !seen {
				prev[imp] = cur
				queue = append(queue, imp)
			}
		}
	}
	return nil
}

// goList runs `go list -deps -json` on the module's packages.
func goList(t *testing.T) []listedPackage {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-json=ImportPath,Doc,Imports,Standard", module+"/...")
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("read go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// TestImportLayers reads the module's real import graph: the engine knows
// nothing of storage or the terminal UI, the workspace nothing of the
// terminal UI, and every package of the module says in its doc comment what
// it owns and what it must not import.
func TestImportLayers(t *testing.T) {
	pkgs := goList(t)
	for _, v := range layerViolations(pkgs, layers) {
		t.Error(v)
	}
	var own int
	for _, p := range pkgs {
		if !under(p.ImportPath, module) {
			continue
		}
		own++
		if p.Doc == "" {
			t.Errorf("%s has no package doc comment: add a doc.go saying what the package owns and what it must not import", p.ImportPath)
		}
	}
	if own < 5 {
		t.Fatalf("go list found %d packages of %s; the guard is not looking at the module", own, module)
	}
}

func TestLayerViolations(t *testing.T) {
	pkg := func(path string, imports ...string) listedPackage {
		return listedPackage{ImportPath: path, Imports: imports}
	}
	tests := []struct {
		name string
		pkgs []listedPackage
		want []string
	}{
		{
			name: "clean layers",
			pkgs: []listedPackage{
				pkg(module+"/tlsengine", "crypto/tls"),
				pkg(module+"/workspace", module+"/tlsengine", "go.etcd.io/bbolt"),
				pkg(module+"/tui", module+"/workspace", "charm.land/lipgloss/v2"),
				pkg("crypto/tls"), pkg("go.etcd.io/bbolt"), pkg("charm.land/lipgloss/v2"),
			},
		},
		{
			name: "engine subpackage reaches bbolt through a third party",
			pkgs: []listedPackage{
				pkg(module+"/tlsengine/certfile", "example.com/store"),
				pkg("example.com/store", "go.etcd.io/bbolt/errors"),
				pkg("go.etcd.io/bbolt/errors"),
			},
			want: []string{module + "/tlsengine/certfile → example.com/store → go.etcd.io/bbolt/errors"},
		},
		{
			name: "workspace imports the TUI",
			pkgs: []listedPackage{
				pkg(module+"/workspace/demo", module+"/tui"),
				pkg(module+"/tui", "charm.land/bubbletea/v2"),
				pkg("charm.land/bubbletea/v2"),
			},
			want: []string{module + "/workspace/demo → " + module + "/tui"},
		},
		{
			name: "engine imports the workspace",
			pkgs: []listedPackage{
				pkg(module+"/tlsengine", module+"/workspace"),
				pkg(module+"/workspace", "go.etcd.io/bbolt"),
				pkg("go.etcd.io/bbolt"),
			},
			want: []string{module + "/tlsengine → " + module + "/workspace"},
		},
		{
			name: "a name that only starts like a layer is not in it",
			pkgs: []listedPackage{
				pkg(module+"/tlsenginex", module+"/tui"),
				pkg(module+"/workspaces", module+"/tui"),
				pkg(module + "/tui"),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := layerViolations(tt.pkgs, layers)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d violations %q, want %d %q", len(got), got, len(tt.want), tt.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]+": ") {
					t.Errorf("violation %d = %q, want the chain %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}
