package tlsengine

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// Options are what a protocol other than HTTP sends after the handshake
// where the user has a say. A URL may carry the user and database the way
// its clients write them (postgres://user@host/db); an option given here
// wins over the URL.
type Options struct {
	// User is the user name: PostgreSQL's and MySQL's role (by default the
	// client certificate's CN, which is what certificate authentication
	// compares it with), MQTT's user name, FTP's USER.
	User string `json:"user,omitempty"`
	// Database is PostgreSQL's database (by default the user's name) or
	// MySQL's (by default none).
	Database string `json:"database,omitempty"`
	// ClientID is MQTT's client identifier (by default mtlswb-<CN>).
	ClientID string `json:"client_id,omitempty"`
	// GRPCMethod is the gRPC method called with an empty request, as
	// /package.Service/Method (by default the health check).
	GRPCMethod string `json:"grpc_method,omitempty"`
	// SASLExternal binds with SASL EXTERNAL after LDAP's TLS, so the
	// server says whether it maps the certificate to an identity.
	SASLExternal bool `json:"sasl_external,omitempty"`
}

// option is one field of Options as the user names it.
type option string

const (
	optUser         option = "user"
	optDatabase     option = "database"
	optClientID     option = "client-id"
	optGRPCMethod   option = "grpc-method"
	optSASLExternal option = "sasl-external"
)

// optionTaker is a protocol that sends some of the Options; the others
// send none.
type optionTaker interface {
	options() []option
}

func optionsOf(p protocol) []option {
	if t, ok := p.(optionTaker); ok {
		return t.options()
	}
	return nil
}

// SchemeOptions names the Options the protocol of a URL scheme sends, as
// the CLI's flags name them ("user", "database", "client-id",
// "grpc-method", "sasl-external"): what a front end asks for with that
// scheme. An unknown scheme, https:// and tls:// send none.
func SchemeOptions(scheme string) []string {
	var out []string
	for _, o := range optionsOf(protocols[strings.ToLower(scheme)]) {
		out = append(out, string(o))
	}
	return out
}

// given lists the options o sets.
func (o Options) given() []option {
	var out []option
	for _, f := range []struct {
		set bool
		opt option
	}{{o.User != "", optUser}, {o.Database != "", optDatabase}, {o.ClientID != "", optClientID},
		{o.GRPCMethod != "", optGRPCMethod}, {o.SASLExternal, optSASLExternal}} {
		if f.set {
			out = append(out, f.opt)
		}
	}
	return out
}

// checkOnly refuses what the target's protocol does not send: options it
// does not take, and HTTP's headers and body (a method is ignored: front
// ends fill in GET).
func checkOnly(r Request, t target) error {
	takes := optionsOf(t.proto)
	scheme := "this"
	if t.url != nil {
		scheme = t.url.Scheme + "://"
	}
	for _, o := range r.Options.given() {
		if !slices.Contains(takes, o) {
			return fmt.Errorf("%s does not use --%s: drop it (it takes %s)", scheme, o, optionList(takes))
		}
	}
	if len(r.Header) > 0 || len(r.Body) > 0 {
		return fmt.Errorf("%s sends no HTTP headers or body: drop them, or use an https:// URL", scheme)
	}
	for _, v := range []string{r.Options.User, r.Options.Database, r.Options.ClientID, r.Options.GRPCMethod} {
		if strings.ContainsFunc(v, func(c rune) bool { return c < 0x20 || c == 0x7f }) {
			return fmt.Errorf("option value %q has control characters: they would end the protocol's command early", safetext.Line(v))
		}
	}
	return nil
}

func optionList(opts []option) string {
	if len(opts) == 0 {
		return "no options"
	}
	s := make([]string, len(opts))
	for i, o := range opts {
		s[i] = "--" + string(o)
	}
	return strings.Join(s, ", ")
}

// urlUser is the user of a URL such as postgres://user@host, "" if none.
func (t target) urlUser() string {
	if t.url == nil || t.url.User == nil {
		return ""
	}
	return t.url.User.Username()
}

// urlPath is the path of a URL without its leading slash: the database of
// postgres://host/db. A path of more than one segment is an error.
func (t target) urlPath() (string, error) {
	if t.url == nil {
		return "", nil
	}
	p := strings.TrimPrefix(t.url.Path, "/")
	if strings.Contains(p, "/") {
		return "", errors.New("the URL's path must be a single name (a database), not " + safetext.Line(t.url.Path))
	}
	return p, nil
}

// certCN is the common name of the client certificate, "" without one.
func (r Request) certCN() string {
	if r.ClientCert == nil {
		return ""
	}
	leaf, err := leafOf(r.ClientCert)
	if err != nil {
		return ""
	}
	return leaf.Subject.CommonName
}

// commandFor is the mtlswb command line that repeats r's attempt against
// url: the advice of a diagnosis that found the server speaking another
// protocol.
func (r Request) commandFor(url string) string {
	verb := "send"
	if r.Probe {
		verb = "probe"
	}
	cmd := "mtlswb " + verb + " " + url
	switch {
	case r.ClientName != "":
		cmd += " --identity " + shellQuote(r.ClientName)
	case r.ClientCert != nil:
		cmd += " --cert FILE --key FILE"
	}
	for _, ca := range r.RootNames {
		cmd += " --ca " + shellQuote(ca)
	}
	return cmd
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	s = safetext.Line(s)
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.@/:", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// dbLogin is what the database protocols (PostgreSQL, MySQL) share: a
// login as a user, by default the client certificate's CN (which is what
// PostgreSQL's cert method and MySQL's REQUIRE SUBJECT compare it with),
// to a database, the URL's path (postgres://user@host/db) unless given.
type dbLogin struct {
	dbIsUser bool // the database defaults to the user's name
}

func (dbLogin) options() []option { return []option{optUser, optDatabase} }

// names are the user and database to log in as.
func (d dbLogin) names(r Request, t target) (user, db string) {
	user = firstOf(r.Options.User, t.urlUser(), r.certCN())
	path, _ := t.urlPath()
	db = firstOf(r.Options.Database, path)
	if d.dbIsUser {
		db = firstOf(db, user)
	}
	return user, db
}

func (d dbLogin) check(r Request, t target) error {
	if _, err := t.urlPath(); err != nil {
		return err
	}
	if err := checkOnly(r, t); err != nil {
		return err
	}
	if user, _ := d.names(r, t); user == "" {
		return fmt.Errorf("%s:// needs a user name and there is no client certificate to take it from: give --user NAME (or %s://NAME@host)", t.url.Scheme, t.url.Scheme)
	}
	return nil
}

func (d dbLogin) echo(r Request, info RequestInfo) RequestInfo {
	t, _ := r.parseTarget()
	user, db := d.names(r, t)
	info.Options = &Options{User: safetext.Line(user), Database: safetext.Line(db)}
	return info
}

func firstOf(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
