package main

import (
	"errors"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadSecretLine(t *testing.T) {
	cases := map[string]struct {
		in   string
		want string
		err  error
	}{
		"enter ends":             {in: "s3cret\r", want: "s3cret"},
		"newline ends":           {in: "s3cret\nrest", want: "s3cret"},
		"empty line":             {in: "\r", want: ""},
		"ctrl-c cancels":         {in: "s3c\x03ret\r", err: errCancelled},
		"ctrl-d cancels":         {in: "\x04", err: errCancelled},
		"ctrl-d mid-line":        {in: "abc\x04\r", err: errCancelled},
		"end of input cancels":   {in: "no enter", err: errCancelled},
		"backspace":              {in: "abx\x7fc\r", want: "abc"},
		"ctrl-h":                 {in: "abx\x08c\r", want: "abc"},
		"backspace on nothing":   {in: "\x7f\x7fa\r", want: "a"},
		"backspace a whole rune": {in: "pé\x7fe\r", want: "pe"},
		"ctrl-u clears":          {in: "wrong\x15right\r", want: "right"},
		"ctrl-w clears":          {in: "wrong\x17right\r", want: "right"},
		"escape bytes dropped":   {in: "a\x1b[Ab\r", want: "a[Ab"},
		"tab dropped":            {in: "a\tb\r", want: "ab"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			// One byte per Read, as a raw terminal delivers keys.
			got, err := readSecretLine(iotest.OneByteReader(strings.NewReader(tc.in)))
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if tc.err == nil && string(got) != tc.want {
				t.Errorf("line = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestReadSecretLineBounded(t *testing.T) {
	got, err := readSecretLine(strings.NewReader(strings.Repeat("x", 3*maxSecret) + "\r"))
	if err != nil || len(got) != maxSecret {
		t.Errorf("len = %d, err = %v; want %d, nil", len(got), err, maxSecret)
	}
}

func TestCancelledExits130(t *testing.T) {
	var out, errb strings.Builder
	c := newCLI(t.Context(), strings.NewReader(""), &out, &errb)
	if code := c.fail(errCancelled); code != 130 {
		t.Errorf("exit = %d, want 130", code)
	}
	if errb.String() != "cancelled\n" || out.String() != "" {
		t.Errorf("stdout %q, stderr %q; want only \"cancelled\" on stderr", out.String(), errb.String())
	}
}

// TestWrongPassphraseNamesItsSource: the message blames the source the
// passphrase came from, and no prompt is tried after a wrong one.
func TestWrongPassphraseNamesItsSource(t *testing.T) {
	e := newEnv(t)
	e.ok("pki", "ca", "root", "--cn", "Root")
	before := e.hash()

	e.vars["MTLSWB_PASSPHRASE"] = "not it"
	r := e.run("pki", "issue", "joe", "--ca", "root", "--cn", "joe")
	if r.code != 2 || !strings.Contains(r.stderr, "MTLSWB_PASSPHRASE does not unlock") || strings.Contains(r.stderr, "passphrase-file") {
		t.Errorf("env: %s", r)
	}

	delete(e.vars, "MTLSWB_PASSPHRASE")
	pf := e.file("pass.txt", []byte("not it either\n"))
	r = e.run("--passphrase-file", pf, "pki", "issue", "joe", "--ca", "root", "--cn", "joe")
	if r.code != 2 || !strings.Contains(r.stderr, "the passphrase in "+pf+" (--passphrase-file) does not unlock") || strings.Contains(r.stderr, "MTLSWB_PASSPHRASE") {
		t.Errorf("file: %s", r)
	}

	// No terminal: the three ways, at once.
	r = e.run("pki", "issue", "joe", "--ca", "root", "--cn", "joe")
	for _, want := range []string{"no terminal to ask on", "mtlswb unlock", "MTLSWB_PASSPHRASE", "--passphrase-file"} {
		if r.code != 2 || !strings.Contains(r.stderr, want) {
			t.Errorf("no terminal: want %q in %s", want, r)
		}
	}
	if e.hash() != before {
		t.Error("a failed unlock changed the workspace")
	}
}

func TestInitWithoutPassphraseNamesNoPassphrase(t *testing.T) {
	e := &env{t: t, dir: t.TempDir(), vars: map[string]string{}}
	e.ws = e.dir + "/ws.db"
	r := e.run("init")
	if r.code != 2 || !strings.Contains(r.stderr, "--no-passphrase") {
		t.Errorf("init without a passphrase: %s", r)
	}
}
