package safefile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func write(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	os.WriteFile(victim, []byte("victim"), 0o644)
	for name, tc := range map[string]struct {
		setup   func(p string)
		replace bool
		wantErr string // "" for success
	}{
		"new file":                {func(string) {}, false, ""},
		"existing, no replace":    {func(p string) { os.WriteFile(p, []byte("old"), 0o644) }, false, "file already exists"},
		"existing 0644, replace":  {func(p string) { os.WriteFile(p, []byte("old"), 0o644) }, true, ""},
		"symlink, no replace":     {func(p string) { os.Symlink(victim, p) }, false, "file already exists"},
		"symlink, replace":        {func(p string) { os.Symlink(victim, p) }, true, ""},
		"dangling link, replace":  {func(p string) { os.Symlink(filepath.Join(dir, "nowhere"), p) }, true, ""},
		"directory, replace":      {func(p string) { os.Mkdir(p, 0o700) }, true, "is a directory"},
		"fifo, replace":           {func(p string) { syscall.Mkfifo(p, 0o600) }, true, "is a named pipe"},
		"write fails, no replace": {func(string) {}, false, "boom"},
	} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
			tc.setup(p)
			fn := write("new")
			if strings.Contains(name, "write fails") {
				fn = func(io.Writer) error { return errors.New("boom") }
			}
			err := Write(p, tc.replace, fn)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Write = %v, want %q", err, tc.wantErr)
				}
			} else {
				if err != nil {
					t.Fatalf("Write = %v", err)
				}
				fi, err := os.Lstat(p)
				if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
					t.Fatalf("result: %v %v, want a regular 0600 file", fi.Mode(), err)
				}
				if b, _ := os.ReadFile(p); string(b) != "new" {
					t.Fatalf("content %q", b)
				}
			}
			if b, _ := os.ReadFile(victim); string(b) != "victim" {
				t.Fatal("written through a link")
			}
			if m, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*")); len(m) > 0 {
				t.Fatalf("temporary files left: %v", m)
			}
		})
	}
	if err := Write(filepath.Join(dir, "x"), false, write("a")); err != nil {
		t.Fatal(err)
	}
	if err := Write(filepath.Join(dir, "x"), false, write("b")); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second Write = %v, want fs.ErrExist", err)
	}
}

func TestReadLimited(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	os.WriteFile(small, []byte("hello"), 0o600)
	exact := filepath.Join(dir, "exact")
	os.WriteFile(exact, make([]byte, 4096), 0o600)
	big := filepath.Join(dir, "big")
	os.WriteFile(big, make([]byte, 4097), 0o600)
	for _, tc := range []struct {
		path    string
		wantLen int
		wantErr string
	}{
		{small, 5, ""},
		{exact, 4096, ""},
		{big, 0, "the secret is larger than the 4 KiB limit"},
		{"/dev/zero", 0, "the secret is larger than the 4 KiB limit"},
		{dir, 0, "is a directory"},
		{filepath.Join(dir, "missing"), 0, "no such file"},
	} {
		b, err := ReadLimited(tc.path, 4096, "secret")
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: err = %v, want %q", tc.path, err, tc.wantErr)
			}
			var tl *TooLargeError
			if strings.Contains(tc.wantErr, "limit") && !errors.As(err, &tl) {
				t.Errorf("%s: not a TooLargeError", tc.path)
			}
			continue
		}
		if err != nil || len(b) != tc.wantLen {
			t.Errorf("%s: %d bytes, %v", tc.path, len(b), err)
		}
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"100": 100, "4K": 4 << 10, "64M": 64 << 20, "64MiB": 64 << 20, "1g": 1 << 30, "512KB": 512 << 10} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "0", "-1", "M", "1T", "x"} {
		if _, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) accepted", bad)
		}
	}
	if got := FormatSize(64 << 20); got != "64 MiB" {
		t.Errorf("FormatSize = %q", got)
	}
}
