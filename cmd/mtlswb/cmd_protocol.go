package main

import (
	"flag"
	"slices"
	"strings"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/workspace"
)

// protoFlags are what protocols other than HTTP send after the handshake
// (tlsengine.Options); the URL's scheme picks the protocol.
type protoFlags struct {
	user, database, clientID, grpcMethod string
	saslExternal                         bool
}

func addProtoFlags(fs *flag.FlagSet) *protoFlags {
	p := &protoFlags{}
	fs.StringVar(&p.user, "user", "", "postgres/mysql/mqtts/ftp: the user `NAME` (postgres and mysql: default the certificate's CN)")
	fs.StringVar(&p.database, "database", "", "postgres/mysql: the database `NAME` (postgres: default the user's)")
	fs.StringVar(&p.clientID, "client-id", "", "mqtts: the MQTT client `ID` (default a random mtlswb-…)")
	fs.StringVar(&p.grpcMethod, "grpc-method", "", "grpcs: call `/package.Service/Method` with an empty request (default the health check)")
	fs.BoolVar(&p.saslExternal, "sasl-external", false, "ldap/ldaps: bind with SASL EXTERNAL after TLS (the server maps the certificate to an identity)")
	return p
}

func (p *protoFlags) apply(spec *workspace.RequestSpec) {
	spec.User, spec.Database, spec.ClientID, spec.GRPCMethod, spec.SASLExternal = p.user, p.database, p.clientID, p.grpcMethod, p.saslExternal
}

// starttlsProtocols are the names openssl s_client -starttls takes that
// mtlswb speaks too, each the scheme of its protocol.
var starttlsProtocols = []string{"postgres", "mysql", "smtp", "imap", "pop3", "ldap", "ftp", "xmpp"}

// starttlsURL is probe's --starttls PROTO host:port as a URL, the form
// openssl s_client users know turned into the scheme of that protocol.
func starttlsURL(proto, target string) (string, error) {
	if strings.Contains(target, "://") {
		return "", usagef("--starttls %s takes HOST:PORT, not a URL: give the host and port alone, or the URL without --starttls", proto)
	}
	registered := map[string]bool{}
	for _, s := range tlsengine.Schemes() {
		registered[s.Name] = true
	}
	var names []string
	for _, n := range starttlsProtocols {
		if registered[n] {
			names = append(names, n)
		}
	}
	name := strings.ToLower(proto)
	if name == "postgresql" {
		name = "postgres"
	}
	if !slices.Contains(names, name) {
		return "", usagef("--starttls %s: mtlswb speaks %s", proto, strings.Join(names, ", "))
	}
	return name + "://" + target, nil
}
