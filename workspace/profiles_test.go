package workspace

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/pki"
)

func TestParseHostPattern(t *testing.T) {
	tests := map[string]struct {
		in, want string
		wantErr  string
	}{
		"host":               {in: "API.Partner.Example.", want: "api.partner.example"},
		"host and port":      {in: "localhost:8443", want: "localhost:8443"},
		"wildcard":           {in: "*.partner.example", want: "*.partner.example"},
		"wildcard with port": {in: "*.partner.example:8443", want: "*.partner.example:8443"},
		"ipv4 with port":     {in: "127.0.0.1:8443", want: "127.0.0.1:8443"},
		"bare ipv6":          {in: "::1", want: "::1"},
		"bracketed ipv6":     {in: "[::1]", want: "::1"},
		"ipv6 with port":     {in: "[::1]:8443", want: "[::1]:8443"},
		"scheme":             {in: "https://api.example", wantErr: "has a scheme"},
		"path":               {in: "api.example/v1", wantErr: "path"},
		"wildcard inside":    {in: "api.*.example", wantErr: "whole leftmost label"},
		"partial wildcard":   {in: "api*.example", wantErr: "whole leftmost label"},
		"lone wildcard":      {in: "*", wantErr: "whole leftmost label"},
		"port zero":          {in: "localhost:0", wantErr: "1 to 65535"},
		"port text":          {in: "localhost:https", wantErr: "1 to 65535"},
		"space":              {in: "api example", wantErr: "not allowed"},
		"empty label":        {in: "api..example", wantErr: "empty label"},
		"empty":              {in: " ", wantErr: "empty"},
		"user info":          {in: "joe@api.example", wantErr: "user information"},
		"unbracketed v6port": {in: "fe80::1:x", wantErr: "[::1]:8443"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := ParseHostPattern(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseHostPattern(%q) = %v, %v; want error with %q", tc.in, got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got.String() != tc.want {
				t.Fatalf("ParseHostPattern(%q) = %q, %v; want %q", tc.in, got.String(), err, tc.want)
			}
		})
	}
}

func TestParseTarget(t *testing.T) {
	tests := map[string]struct {
		in      string
		want    Target
		wantErr bool
	}{
		"url default port": {in: "https://API.example/x?y", want: Target{"api.example", 443}},
		"url with port":    {in: "https://localhost:8443/", want: Target{"localhost", 8443}},
		"host:port":        {in: "localhost:8443", want: Target{"localhost", 8443}},
		"bare host":        {in: "localhost", want: Target{"localhost", 443}},
		"ipv6 url":         {in: "https://[::1]:8443/", want: Target{"::1", 8443}},
		"http":             {in: "http://localhost/", wantErr: true},
		"postgres default": {in: "postgres://db.example/app", want: Target{"db.example", 5432}},
		"postgresql":       {in: "postgresql://u@db.example:6432", want: Target{"db.example", 6432}},
		"mqtts default":    {in: "mqtts://broker", want: Target{"broker", 8883}},
		"smtps default":    {in: "SMTPS://mail.example", want: Target{"mail.example", 465}},
		"tls":              {in: "tls://h:9443", want: Target{"h", 9443}},
		"unknown scheme":   {in: "gopher://h", wantErr: true},
		"empty":            {in: "", wantErr: true},
		"host with path":   {in: "localhost/x", wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := ParseTarget(tc.in)
			if (err != nil) != tc.wantErr || (!tc.wantErr && got != tc.want) {
				t.Fatalf("ParseTarget(%q) = %v, %v; want %v (error %v)", tc.in, got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func prof(name, env string, hosts ...string) Profile {
	return Profile{Name: name, Env: env, Hosts: hosts, Identity: name + "-id"}
}

func TestSelectRanking(t *testing.T) {
	all := []Profile{
		prof("exact-port", "", "api.partner.example:8443"),
		prof("exact", "", "api.partner.example"),
		prof("deep-wild", "", "*.api.partner.example"),
		prof("wild", "", "*.partner.example"),
		prof("wild-port", "", "*.partner.example:9443"),
		prof("local", "", "localhost"),
		prof("local-port", "", "localhost:8443"),
		prof("staging", "staging", "*.partner.example"),
		prof("prod-only", "prod", "prod.partner.example"),
		prof("ip", "", "127.0.0.1:8443"),
	}
	tests := map[string]struct {
		url, env string
		want     string // "" for no match
		wantRank Rank
	}{
		"host and port beats host":       {url: "https://api.partner.example:8443/", want: "exact-port", wantRank: RankExactHostPort},
		"host beats wildcard":            {url: "https://api.partner.example/", want: "exact", wantRank: RankExactHost},
		"longest wildcard wins":          {url: "https://v1.api.partner.example/", want: "deep-wild", wantRank: RankWildcard},
		"wildcard covers deep labels":    {url: "https://a.b.partner.example/", want: "wild", wantRank: RankWildcard},
		"wildcard port beats same":       {url: "https://x.partner.example:9443/", want: "wild-port", wantRank: RankWildcard},
		"env overrides on same pattern":  {url: "https://x.partner.example/", env: "staging", want: "staging", wantRank: RankWildcard},
		"inactive env is skipped":        {url: "https://prod.partner.example/", want: "wild", wantRank: RankWildcard},
		"active env exact host":          {url: "https://prod.partner.example/", env: "prod", want: "prod-only", wantRank: RankExactHost},
		"localhost any port":             {url: "https://localhost/", want: "local", wantRank: RankExactHost},
		"localhost:8443 exact":           {url: "https://localhost:8443/", want: "local-port", wantRank: RankExactHostPort},
		"probe form":                     {url: "localhost:8443", want: "local-port", wantRank: RankExactHostPort},
		"wildcard not the apex":          {url: "https://partner.example/", want: ""},
		"ip exact port":                  {url: "https://127.0.0.1:8443/", want: "ip", wantRank: RankExactHostPort},
		"ip other port":                  {url: "https://127.0.0.1:9000/", want: ""},
		"nothing for an unrelated host":  {url: "https://example.org/", want: ""},
		"case and trailing dot are kept": {url: "https://API.Partner.Example.:8443/", want: "exact-port", wantRank: RankExactHostPort},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ps := ProfileSet{Profiles: all, ActiveEnv: tc.env}
			sel, err := ps.Select(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			if sel.Profile != tc.want || sel.Matched != (tc.want != "") || sel.Rank != tc.wantRank {
				t.Fatalf("Select(%s) = %q (%s), want %q (%s); considered: %+v", tc.url, sel.Profile, sel.Rank, tc.want, tc.wantRank, sel.Considered)
			}
			// Every rule is listed, the winner first, each with a reason.
			n := 0
			for _, p := range all {
				n += len(p.Hosts)
			}
			if len(sel.Considered) != n {
				t.Errorf("considered %d rules, want %d", len(sel.Considered), n)
			}
			for i, c := range sel.Considered {
				if c.Reason == "" {
					t.Errorf("rule %s of %s has no reason", c.Pattern, c.Profile)
				}
				if c.Chosen != (tc.want != "" && i == 0) {
					t.Errorf("rule %d (%s %s) chosen=%v", i, c.Profile, c.Pattern, c.Chosen)
				}
			}
		})
	}
}

func TestSelectReasons(t *testing.T) {
	ps := ProfileSet{Profiles: []Profile{prof("local-port", "", "localhost:8443"), prof("wild", "", "*.example")}}
	sel, err := ps.Select("https://localhost/")
	if err != nil {
		t.Fatal(err)
	}
	if sel.Matched {
		t.Fatalf("localhost:443 matched %s", sel.Profile)
	}
	byProfile := map[string]string{}
	for _, c := range sel.Considered {
		byProfile[c.Profile] = c.Reason
	}
	// The Postman complaint, answered in words.
	if want := "the rule is for port 8443, the URL uses port 443"; !strings.Contains(byProfile["local-port"], want) {
		t.Errorf("reason for local-port = %q, want it to contain %q", byProfile["local-port"], want)
	}
	if !strings.Contains(byProfile["wild"], "not under example") {
		t.Errorf("reason for wild = %q", byProfile["wild"])
	}
}

func TestProfileTiesRefusedOnSave(t *testing.T) {
	tests := map[string]struct {
		first, second Profile
		wantTie       bool
	}{
		"same pattern, no env":           {prof("a", "", "*.partner.example"), prof("b", "", "*.partner.example"), true},
		"same pattern, normalized":       {prof("a", "", "API.example"), prof("b", "", "api.example."), true},
		"same pattern, same env":         {prof("a", "prod", "api.example"), prof("b", "prod", "api.example"), true},
		"same pattern, env and no env":   {prof("a", "", "api.example"), prof("b", "prod", "api.example"), false},
		"same pattern, other envs":       {prof("a", "staging", "api.example"), prof("b", "prod", "api.example"), false},
		"host and host:port":             {prof("a", "", "localhost"), prof("b", "", "localhost:8443"), false},
		"nested wildcards":               {prof("a", "", "*.example"), prof("b", "", "*.api.example"), false},
		"wildcard with and without port": {prof("a", "", "*.example"), prof("b", "", "*.example:8443"), false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, false)
			tc.first.Identity, tc.second.Identity = "joe", "joe"
			if err := f.s.AddProfile(tc.first); err != nil {
				t.Fatal(err)
			}
			var err error
			requireMaybeUnchanged(t, f.s.Path(), tc.wantTie, func() { err = f.s.AddProfile(tc.second) })
			var tie *TieError
			if got := errors.As(err, &tie); got != tc.wantTie {
				t.Fatalf("AddProfile(%v) = %v; want tie %v", tc.second.Hosts, err, tc.wantTie)
			}
			if tc.wantTie && (tie.Other != "a" || !strings.Contains(err.Error(), "`a`")) {
				t.Errorf("tie error does not name the other profile: %v", err)
			}
		})
	}
}

// requireMaybeUnchanged is requireUnchanged when unchanged is set.
func requireMaybeUnchanged(tb testing.TB, path string, unchanged bool, fn func()) {
	tb.Helper()
	if unchanged {
		requireUnchanged(tb, path, fn)
		return
	}
	fn()
}

func TestAddProfileValidation(t *testing.T) {
	f := newFixture(t, false)
	ok := Profile{Name: "p", Hosts: []string{"api.example"}, Identity: "joe", CAs: []string{"devroot"}}
	tests := map[string]struct {
		mutate  func(p *Profile)
		wantErr string
	}{
		"unknown identity":  {func(p *Profile) { p.Identity = "nobody" }, "no identity named `nobody`"},
		"ca as identity":    {func(p *Profile) { p.Identity = "devroot" }, "is a CA, not an identity"},
		"identity as ca":    {func(p *Profile) { p.CAs = []string{"joe"} }, "not a CA"},
		"unknown ca":        {func(p *Profile) { p.CAs = []string{"nope"} }, "no CA named `nope`"},
		"no identity":       {func(p *Profile) { p.Identity = "" }, "has no identity"},
		"no host":           {func(p *Profile) { p.Hosts = nil }, "no host pattern"},
		"bad host":          {func(p *Profile) { p.Hosts = []string{"https://x"} }, "has a scheme"},
		"host twice":        {func(p *Profile) { p.Hosts = []string{"x.example", "X.example"} }, "given twice"},
		"bad name":          {func(p *Profile) { p.Name = "a b" }, "may hold only"},
		"bad env":           {func(p *Profile) { p.Env = "pro d" }, "environment name"},
		"bad tls":           {func(p *Profile) { p.TLSMin = "1.1" }, "not a TLS version"},
		"min above max":     {func(p *Profile) { p.TLSMin, p.TLSMax = "1.3", "1.2" }, "above the maximum"},
		"bad timeout":       {func(p *Profile) { p.Timeout = "soon" }, "timeout"},
		"wildcard sni":      {func(p *Profile) { p.ServerName = "*.example" }, "server name"},
		"sni with a scheme": {func(p *Profile) { p.ServerName = "https://x" }, "server name"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p := ok
			p.CAs = []string{"devroot"}
			tc.mutate(&p)
			var err error
			requireUnchanged(t, f.s.Path(), func() { err = f.s.AddProfile(p) })
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("AddProfile = %v; want error with %q", err, tc.wantErr)
			}
		})
	}
	if err := f.s.AddProfile(ok); err != nil {
		t.Fatalf("a valid profile was refused: %v", err)
	}
	var taken *NameTakenError
	if err := f.s.AddProfile(Profile{Name: "p", Hosts: []string{"other.example"}, Identity: "joe"}); !errors.As(err, &taken) {
		t.Fatalf("second profile p: %v", err)
	}
}

func TestProfileLifecycleAndEnvs(t *testing.T) {
	f := newFixture(t, false)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.s.AddProfile(Profile{Name: "default", Hosts: []string{"*.partner.example"}, Identity: "joe", CAs: []string{"devroot"}}))
	must(f.s.AddProfile(Profile{Name: "staging", Hosts: []string{"*.partner.example"}, Identity: "joe", Env: "staging", Timeout: "3s"}))

	var unknown *UnknownEnvError
	requireUnchanged(t, f.s.Path(), func() {
		if err := f.s.UseEnv("stagign"); !errors.As(err, &unknown) || !strings.Contains(err.Error(), "known: staging") {
			t.Fatalf("UseEnv(typo) = %v", err)
		}
	})
	sel, err := f.s.Which("https://api.partner.example/")
	must(err)
	if sel.Profile != "default" {
		t.Fatalf("without env: %s", sel.Profile)
	}
	must(f.s.UseEnv("staging"))
	if sel, err = f.s.Which("https://api.partner.example/"); err != nil || sel.Profile != "staging" || sel.ActiveEnv != "staging" {
		t.Fatalf("with env staging: %+v, %v", sel, err)
	}
	none := ""
	if sel, err = f.s.WhichIn("https://api.partner.example/", &none); err != nil || sel.Profile != "default" {
		t.Fatalf("WhichIn(none): %+v, %v", sel, err)
	}

	must(f.s.EditProfile("staging", func(p *Profile) error { p.Timeout = "5s"; return nil }))
	p, err := f.s.Profile("staging")
	must(err)
	if p.Timeout != "5s" || p.Env != "staging" {
		t.Fatalf("edit lost fields: %+v", p)
	}
	// An edit that would tie is refused and changes nothing.
	requireUnchanged(t, f.s.Path(), func() {
		var tie *TieError
		if err := f.s.EditProfile("staging", func(p *Profile) error { p.Env = ""; return nil }); !errors.As(err, &tie) {
			t.Fatalf("edit into a tie: %v", err)
		}
	})

	// A removed identity (forced: profiles use it) makes the profile
	// unusable, and Which says so.
	must(f.s.Remove("joe", true))
	if sel, err = f.s.Which("https://api.partner.example/"); err != nil || len(sel.Problems) == 0 || !strings.Contains(sel.Problems[0], "profile edit staging") {
		t.Fatalf("dangling identity: %+v, %v", sel.Problems, err)
	}

	must(f.s.RemoveProfile("staging"))
	if _, err := f.s.Profile("staging"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("removed profile: %v", err)
	}
	if err := f.s.RemoveProfile("staging"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("remove twice: %v", err)
	}
	must(f.s.UseEnv(""))
	ps, err := f.s.Profiles()
	must(err)
	if ps.ActiveEnv != "" || len(ps.Profiles) != 1 {
		t.Fatalf("after clearing: %+v", ps)
	}
}

func TestApplyTo(t *testing.T) {
	p := Profile{Identity: "joe", CAs: []string{"root"}, SystemRoots: true, ServerName: "sni.example", TLSMin: "1.3", Timeout: "3s"}
	spec := RequestSpec{URL: "https://x/", Timeout: "10s", CAs: []string{"mine"}}
	p.ApplyTo(&spec, ExplicitFields{Trust: true})
	if spec.Identity != "joe" || spec.ServerName != "sni.example" || spec.TLSMin != "1.3" || spec.Timeout != "3s" {
		t.Errorf("profile fields not applied: %+v", spec)
	}
	if len(spec.CAs) != 1 || spec.CAs[0] != "mine" || spec.SystemRoots {
		t.Errorf("explicit trust was overridden: %+v", spec)
	}
	spec = RequestSpec{URL: "https://x/", Identity: "other", Timeout: "1s"}
	p.ApplyTo(&spec, ExplicitFields{Identity: true, Timeout: true})
	if spec.Identity != "other" || spec.Timeout != "1s" || !spec.SystemRoots || spec.CAs[0] != "root" {
		t.Errorf("explicit identity/timeout not kept or trust not applied: %+v", spec)
	}
}

func TestChooseIdentity(t *testing.T) {
	requested := func(ids ...tlsengine.IdentityVerdict) tlsengine.Report {
		return tlsengine.Report{TLS: tlsengine.TLSInfo{ClientCertRequested: true, AcceptableCAs: []string{"CN=A"}}, Identities: ids}
	}
	yes := func(n string) tlsengine.IdentityVerdict {
		return tlsengine.IdentityVerdict{Name: n, Accepted: true, Reason: "ok"}
	}
	no := func(n string) tlsengine.IdentityVerdict {
		return tlsengine.IdentityVerdict{Name: n, Reason: "issued by CN=B"}
	}
	tests := map[string]struct {
		rep    tlsengine.Report
		want   AutoOutcome
		chosen string
	}{
		"one fits":      {requested(no("a"), yes("b")), AutoChosen, "b"},
		"two fit":       {requested(yes("a"), yes("b")), AutoAmbiguous, ""},
		"none fits":     {requested(no("a"), no("b")), AutoNoneFits, ""},
		"no identities": {requested(), AutoNoneFits, ""},
		"not requested": {tlsengine.Report{OK: true}, AutoNotRequested, ""},
		"probe failed":  {tlsengine.Report{Failure: &tlsengine.Failure{Summary: "refused"}}, AutoProbeFailed, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ch := ChooseIdentity(tc.rep)
			if ch.Outcome != tc.want || ch.Chosen != tc.chosen || ch.Summary == "" {
				t.Fatalf("ChooseIdentity = %+v; want %s %q", ch, tc.want, tc.chosen)
			}
		})
	}
}

func TestCollectionHoldsNoSecret(t *testing.T) {
	f := newFixture(t, true)
	if err := f.s.AddProfile(Profile{Name: "partner", Hosts: []string{"*.partner.example"}, Identity: "joe", CAs: []string{"devroot"}, Env: "prod"}); err != nil {
		t.Fatal(err)
	}
	if err := f.s.AddProfile(Profile{Name: "unrelated", Hosts: []string{"other.example"}, Identity: "joe"}); err != nil {
		t.Fatal(err)
	}
	spec := RequestSpec{
		Method: "POST", URL: "https://user:hunter2@api.partner.example/orders?api_key=s3cr3t&page=2",
		Headers: []string{"Authorization: Bearer tok3n", "X-Trace: 1", "X-Api-Key: k3y"}, Body: "{}",
		Proxy: "http://proxyuser:proxypass@proxy.example:3128",
	}
	specJSON, _ := json.Marshal(spec)
	if err := f.s.SaveRequest(SavedRequest{Name: "orders", Spec: specJSON}); err != nil {
		t.Fatal(err)
	}
	c, notes, err := f.s.ExportCollection(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(c)
	keyDER, _ := marshalPKCS8(t, f.joe)
	for _, secret := range []string{"hunter2", "s3cr3t", "tok3n", "k3y", "proxypass", "PRIVATE KEY", string(testPassphrase),
		f.s.Path(), os.TempDir(), keyDER, "BEGIN", "MII"} {
		if strings.Contains(string(out), secret) {
			t.Errorf("the collection holds %q:\n%s", secret, out)
		}
	}
	if len(c.Profiles) != 1 || c.Profiles[0].Name != "partner" || c.Profiles[0].Identity != "joe" {
		t.Errorf("profiles = %+v, want only partner", c.Profiles)
	}
	if len(notes) != 5 {
		t.Errorf("notes = %q, want 5 redactions", notes)
	}
	if !strings.Contains(string(out), "X-Trace: 1") || !strings.Contains(string(out), "page=2") {
		t.Errorf("harmless parts were dropped:\n%s", out)
	}

	// Another person's workspace: their identity is called my-joe, and they
	// have no CA named devroot.
	other, _ := newStore(t, false)
	root := mustRoot(t, "Other Root")
	mine := mustIssue(t, root, clientSpec("me"))
	if err := other.Add(nil, []NewRecord{identityRecord("my-joe", mine, root.Cert)}); err != nil {
		t.Fatal(err)
	}
	requireUnchanged(t, other.Path(), func() {
		if _, err := other.ImportCollection(c, map[string]string{"jeo": "my-joe"}); err == nil || !strings.Contains(err.Error(), "names no identity or CA `jeo`") {
			t.Fatalf("unused binding: %v", err)
		}
		if _, err := other.ImportCollection(c, map[string]string{"joe": "nobody"}); err == nil {
			t.Fatal("binding to a missing identity was accepted")
		}
	})
	res, err := other.ImportCollection(c, map[string]string{"joe": "my-joe"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := other.Profile("partner")
	if err != nil {
		t.Fatal(err)
	}
	if p.Identity != "my-joe" || len(p.CAs) != 0 || len(p.UnboundCAs) != 1 || p.UnboundCAs[0] != "devroot" {
		t.Fatalf("imported profile = %+v", p)
	}
	if len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "CA `devroot`") {
		t.Errorf("notes = %q", res.Notes)
	}
	if err := other.UseEnv("prod"); err != nil {
		t.Fatal(err)
	}
	sel, err := other.Which("https://api.partner.example/")
	if err != nil || !sel.Matched || len(sel.Problems) == 0 {
		t.Fatalf("an unbound CA must be reported: %+v, %v", sel, err)
	}
	// Importing again refuses: the names are taken.
	requireUnchanged(t, other.Path(), func() {
		if _, err := other.ImportCollection(c, nil); !errors.As(err, new(*NameTakenError)) {
			t.Fatalf("second import: %v", err)
		}
	})
}

func marshalPKCS8(t *testing.T, p pki.Pair) (string, error) {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(p.Key)
	return base64.StdEncoding.EncodeToString(der)[:40], err
}

// BenchmarkSelect1000: the composer selects on every render, so a large
// profile set must stay well under a frame.
func BenchmarkSelect1000(b *testing.B) {
	var ps ProfileSet
	for i := range 1000 {
		ps.Profiles = append(ps.Profiles, prof(fmt.Sprintf("p%04d", i), "", fmt.Sprintf("*.s%d.example", i), fmt.Sprintf("api.s%d.example:8443", i)))
	}
	b.ReportAllocs()
	for b.Loop() {
		if sel, err := ps.Select("https://x.s999.example/"); err != nil || sel.Profile != "p0999" {
			b.Fatalf("%+v %v", sel.Profile, err)
		}
	}
}

func TestRenameCarriesProfiles(t *testing.T) {
	f := newFixture(t, false)
	s := f.s
	if err := s.AddProfile(Profile{Name: "p", Hosts: []string{"api.example"}, Identity: "joe", CAs: []string{"devroot"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Rename("joe", "joe2"); err != nil {
		t.Fatal(err)
	}
	if err := s.Rename("devroot", "root2"); err != nil {
		t.Fatal(err)
	}
	p, err := s.Profile("p")
	if err != nil {
		t.Fatal(err)
	}
	if p.Identity != "joe2" || len(p.CAs) != 1 || p.CAs[0] != "root2" {
		t.Errorf("profile after renames: identity %q, CAs %v; want joe2, [root2]", p.Identity, p.CAs)
	}
}

func TestRemoveRefusesRecordUsedByProfile(t *testing.T) {
	f := newFixture(t, false)
	if err := f.s.AddProfile(Profile{Name: "p", Hosts: []string{"api.example"}, Identity: "joe", CAs: []string{"devroot"}}); err != nil {
		t.Fatal(err)
	}
	var used *ProfileUseError
	requireUnchanged(t, f.s.Path(), func() {
		if err := f.s.Remove("joe", false); !errors.As(err, &used) || used.Profiles[0] != "p" {
			t.Fatalf("Remove(joe) = %v, want a ProfileUseError naming p", err)
		}
	})
	if err := f.s.Remove("joe", true); err != nil {
		t.Fatalf("forced removal: %v", err)
	}
}
