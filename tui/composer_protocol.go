package tui

import (
	"slices"
	"strings"

	"charm.land/bubbles/v2/textinput"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/workspace"
)

// The composer's fields for protocols other than HTTP. A URL's scheme picks
// the protocol; the method, headers and body give way to what that
// protocol sends instead (tlsengine.SchemeOptions): PostgreSQL's user and
// database, MQTT's client id, the gRPC method, LDAP's SASL EXTERNAL bind.

// protoFields holds those fields' values.
type protoFields struct {
	user, database, clientID, grpcMethod textinput.Model
	saslExternal                         bool
}

func newProtoFields(st *styles) protoFields {
	return protoFields{
		user:       newInput(st, "default: the certificate's CN"),
		database:   newInput(st, "default: the user's name"),
		clientID:   newInput(st, "default: a random mtlswb-…"),
		grpcMethod: newInput(st, "default: /grpc.health.v1.Health/Check"),
	}
}

// protoOption is the option each field sets, as tlsengine names it.
var protoOption = map[cField]string{cfUser: "user", cfDatabase: "database", cfClientID: "client-id",
	cfGRPCMethod: "grpc-method", cfSASL: "sasl-external"}

var protoLabels = map[cField]string{cfUser: "User", cfDatabase: "Database", cfClientID: "Client id",
	cfGRPCMethod: "Method", cfSASL: "SASL ext"}

// input is the text input of field f, nil for a field that has none.
func (p *protoFields) input(f cField) *textinput.Model {
	switch f {
	case cfUser:
		return &p.user
	case cfDatabase:
		return &p.database
	case cfClientID:
		return &p.clientID
	case cfGRPCMethod:
		return &p.grpcMethod
	}
	return nil
}

func (p *protoFields) each(fn func(*textinput.Model)) {
	for _, in := range []*textinput.Model{&p.user, &p.database, &p.clientID, &p.grpcMethod} {
		fn(in)
	}
}

func (p *protoFields) reset() {
	p.each(func(in *textinput.Model) { in.SetValue("") })
	p.saslExternal = false
}

func (p *protoFields) setWidth(w int) { p.each(func(in *textinput.Model) { in.SetWidth(w) }) }
func (p *protoFields) blur()          { p.each(func(in *textinput.Model) { in.Blur() }) }

func (p *protoFields) load(spec workspace.RequestSpec) {
	p.user.SetValue(spec.User)
	p.database.SetValue(spec.Database)
	p.clientID.SetValue(spec.ClientID)
	p.grpcMethod.SetValue(spec.GRPCMethod)
	p.saslExternal = spec.SASLExternal
}

// apply puts the fields the URL's protocol takes into sp, and takes out
// HTTP's parts when it is not HTTP: they would be refused.
func (p *protoFields) apply(sp *workspace.RequestSpec) {
	if sp.HTTP() {
		return
	}
	sp.Method, sp.Headers, sp.Body = "", nil, ""
	takes := tlsengine.SchemeOptions(urlScheme(sp.URL))
	val := func(f cField) string {
		if !slices.Contains(takes, protoOption[f]) {
			return ""
		}
		return strings.TrimSpace(p.input(f).Value())
	}
	sp.User, sp.Database, sp.ClientID, sp.GRPCMethod = val(cfUser), val(cfDatabase), val(cfClientID), val(cfGRPCMethod)
	sp.SASLExternal = p.saslExternal && slices.Contains(takes, protoOption[cfSASL])
}

func urlScheme(raw string) string {
	scheme, _, found := strings.Cut(strings.TrimSpace(raw), "://")
	if !found {
		return ""
	}
	return strings.ToLower(scheme)
}

// shown says whether field f belongs to the request the URL describes.
func (s *composerScreen) shown(f cField) bool {
	http := (workspace.RequestSpec{URL: s.url.Value()}).HTTP()
	switch f {
	case cfMethod, cfHeaders, cfBody:
		return http
	}
	if opt, ok := protoOption[f]; ok {
		return !http && slices.Contains(tlsengine.SchemeOptions(urlScheme(s.url.Value())), opt)
	}
	return true
}

// protoLine is the value column of a protocol field.
func (s *composerScreen) protoLine(f cField) string {
	if f == cfSASL {
		if s.proto.saslExternal {
			return "on: bind with the certificate after TLS"
		}
		return "off"
	}
	return s.proto.input(f).View()
}

// knownScheme says whether the engine speaks the URL scheme.
func knownScheme(scheme string) bool {
	for _, sc := range tlsengine.Schemes() {
		if strings.EqualFold(sc.Name, scheme) {
			return true
		}
	}
	return false
}
