package main

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestFindTUI(t *testing.T) {
	name := tuiProgram
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	withTUI := t.TempDir()
	if err := os.WriteFile(filepath.Join(withTUI, name), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	withoutTUI := t.TempDir()
	onPath := func(string) (string, error) { return "/usr/local/bin/" + tuiProgram, nil }
	notOnPath := func(string) (string, error) { return "", errors.New("not found") }
	tests := []struct {
		name     string
		self     string
		lookPath func(string) (string, error)
		want     string // the program found; "" for the error
	}{
		{"beside mtlswb, even when also on PATH", filepath.Join(withTUI, "mtlswb"), onPath, filepath.Join(withTUI, name)},
		{"on PATH when not beside mtlswb", filepath.Join(withoutTUI, "mtlswb"), onPath, "/usr/local/bin/" + tuiProgram},
		{"on PATH when mtlswb's own path is unknown", "", onPath, "/usr/local/bin/" + tuiProgram},
		{"nowhere", filepath.Join(withoutTUI, "mtlswb"), notOnPath, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := findTUI(tt.self, tt.lookPath)
			if tt.want != "" {
				if err != nil || got != tt.want {
					t.Fatalf("findTUI = %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("findTUI = %q, want an error", got)
			}
			var buf strings.Builder
			printError(&buf, err)
			for _, want := range []string{"mtlswb-tui", withoutTUI, "go install github.com/mtlswb/mtlswb/cmd/...@latest", "mtlswb help"} {
				if !strings.Contains(buf.String(), want) {
					t.Errorf("the error does not say %q:\n%s", want, buf.String())
				}
			}
			if code := exitCode(err); code != exitFailed {
				t.Errorf("exit code %d, want %d", code, exitFailed)
			}
		})
	}
}
