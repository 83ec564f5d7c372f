package realserver_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/pki"
	"github.com/mtlswb/mtlswb/tlsengine/realserver"
	"github.com/mtlswb/mtlswb/tlsengine/tlstest"
)

// The diagnosis suite (issue 9): the engine's verdict against nginx,
// HAProxy, Apache, stunnel and mosquitto configured as their users
// configure them, on TLS 1.2 and 1.3. The wire tests record what each
// server sends; these check what mtlswb makes of it. A failure prints the
// report and the server's own logs.

// diagPKI adds to the wire PKI what the diagnosis cases need: a
// not-yet-valid client, a revoked client whose certificate names its CRL,
// an RSA identity, a server certificate whose chain the server does not
// send, and a 127.0.0.1 publisher for the CRL and the intermediate.
type diagPKI struct {
	*wirePKI
	notYet, revokedCDP, rsa *tls.Certificate
	interAlone              *tls.Certificate // issued by the intermediate, sent without it
	serverViaInter          pki.Pair         // names the intermediate's URL (AIA)
	crl                     []byte           // the root's CRL: revokes clientRevoked and revokedCDP
	crlURL                  string
	candidates, knownCAs    []tlsengine.NamedChain
	publisher               *httptest.Server
	publishedMu             sync.Mutex
	published               map[string][]byte
}

func newDiagPKI(t *testing.T) *diagPKI {
	t.Helper()
	w := newWirePKI(t)
	d := &diagPKI{wirePKI: w, published: map[string][]byte{}}
	d.publisher = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		d.publishedMu.Lock()
		data, ok := d.published[r.URL.Path]
		d.publishedMu.Unlock()
		if !ok {
			http.NotFound(rw, r)
			return
		}
		rw.Write(data)
	}))
	t.Cleanup(d.publisher.Close)
	d.crlURL = d.publisher.URL + "/root.crl"
	notYet := must(w.root.Issue(pki.Spec{CN: "not-yet", Client: true,
		NotBefore: time.Now().Add(48 * time.Hour), NotAfter: time.Now().Add(96 * time.Hour)}))
	revokedCDP := must(w.root.Issue(pki.Spec{CN: "revoked-cdp", Client: true, CRLURLs: []string{d.crlURL}}))
	rsa := must(w.root.Issue(pki.Spec{CN: "client-rsa", Client: true, Key: pki.RSA2048}))
	spec := tlstest.ServerSpec("localhost")
	spec.IssuerURLs = []string{d.publisher.URL + "/inter.cer"}
	d.serverViaInter = must(w.inter.Issue(spec))
	d.crl = realserver.NewCRL(t, w.root, w.clientRevoked.Cert, revokedCDP.Cert)
	d.published["/root.crl"] = d.crl
	d.published["/inter.cer"] = w.inter.Cert.Raw
	d.notYet, d.revokedCDP, d.rsa = tlsCert(notYet), tlsCert(revokedCDP), tlsCert(rsa)
	d.interAlone = tlsCert(w.interIssued)
	d.candidates = []tlsengine.NamedChain{
		{Name: "good", Chain: []*x509.Certificate{w.client.Cert}},
		{Name: "client-rsa", Chain: []*x509.Certificate{rsa.Cert}},
		{Name: "joe-full", Chain: []*x509.Certificate{w.interIssued.Cert, w.inter.Cert}},
	}
	d.knownCAs = []tlsengine.NamedChain{{Name: "test-inter", Chain: []*x509.Certificate{w.inter.Cert}}}
	return d
}

// serverCRLs are the CRLs the servers check: the root's (revoking both
// revoked clients) and the intermediate's.
func (d *diagPKI) serverCRLs() realserver.TLS {
	c := d.tlsConfig()
	c.CRLs = [][]byte{d.crl, d.interCRL}
	return c
}

// dcase is one attempt through the engine and the verdict it must get per
// TLS version.
type dcase struct {
	cert           *tls.Certificate // nil: no identity
	name           string           // the identity's name; "joe" when empty
	path           string
	probe          bool
	mut            func(r *tlsengine.Request)
	want12, want13 tlsengine.Category // "" is success
	// check, when set, looks further at the report: it returns what is
	// wrong, "" when nothing.
	check func(rep tlsengine.Report) string
}

func (d *diagPKI) request(srv *realserver.Server, c dcase, v uint16) tlsengine.Request {
	path := c.path
	if path == "" {
		path = "/"
	}
	req := tlsengine.Request{URL: srv.URL(path), Probe: c.probe, Roots: []*x509.Certificate{d.root.Cert}, RootNames: []string{"test-root"},
		ServerName: "localhost", MinVersion: v, MaxVersion: v, Timeout: 5 * time.Second,
		Candidates: d.candidates, KnownCAs: d.knownCAs}
	if v == tls.VersionTLS13 {
		// Let the engine retry with TLS 1.2 when the evidence needs it.
		req.MinVersion = tls.VersionTLS12
	}
	if c.cert != nil {
		req.ClientCert, req.ClientName = c.cert, c.name
		if req.ClientName == "" {
			req.ClientName = "joe"
		}
	}
	if c.mut != nil {
		c.mut(&req)
	}
	return req
}

// runDiag runs every case on both versions against srv, in parallel.
func (d *diagPKI) runDiag(t *testing.T, srv *realserver.Server, cases map[string]dcase) {
	t.Helper()
	for name, c := range cases {
		eachVersion(t, name, c.want12, c.want13, func(t *testing.T, v uint16, want tlsengine.Category) {
			t.Parallel()
			rep := tlsengine.Run(context.Background(), d.request(srv, c, v))
			var got tlsengine.Category
			if rep.Failure != nil {
				got = rep.Failure.Category
			}
			problem := ""
			if got != want {
				problem = "category " + string(got) + ", want " + string(want)
				if want == "" {
					problem = "category " + string(got) + ", want success"
				}
			} else if c.check != nil {
				problem = c.check(rep)
			}
			if problem != "" {
				t.Errorf("%s: %s\n%s\n%s", srv.Name, problem, reportJSON(rep), srv.Logs())
			}
		})
	}
}

func reportJSON(rep tlsengine.Report) string {
	b, _ := json.MarshalIndent(rep, "", "  ")
	return string(b)
}

// says checks that the failure's summary, detail, hints or causes mention
// every fragment.
func says(fragments ...string) func(tlsengine.Report) string {
	return func(rep tlsengine.Report) string {
		if rep.Failure == nil {
			return "no failure to read"
		}
		b, _ := json.Marshal(rep.Failure)
		for _, f := range fragments {
			if !strings.Contains(string(b), f) {
				return "the failure does not say " + f
			}
		}
		return ""
	}
}

// both is the same verdict on TLS 1.2 and 1.3.
func both(c dcase, cat tlsengine.Category) dcase {
	c.want12, c.want13 = cat, cat
	return c
}

// classic are the textbook cases on a server that verifies the client
// certificate against the root and the CRLs.
func (d *diagPKI) classic() map[string]dcase {
	return map[string]dcase{
		"good":          both(dcase{cert: d.good}, ""),
		"none":          both(dcase{}, tlsengine.ClientCertRequired),
		"rogue":         both(dcase{cert: d.rogue}, tlsengine.ClientCertUnknownCA),
		"expired":       both(dcase{cert: d.expiredCert}, tlsengine.ClientCertExpired),
		"not yet valid": both(dcase{cert: d.notYet}, tlsengine.ClientCertExpired),
		"wrong usage":   both(dcase{cert: d.wrongUsageCert}, tlsengine.ClientCertWrongUsage),
		"revoked":       both(dcase{cert: d.revoked}, tlsengine.ClientCertRevoked),
	}
}

func TestDiagnosisNginx(t *testing.T) {
	t.Parallel()
	d := newDiagPKI(t)
	required := d.classic()
	// nginx says only "The SSL certificate error": without a CRL to
	// read, a revoked certificate is a rejection without a reason...
	required["revoked"] = both(dcase{cert: d.revoked, check: says("local checks find nothing wrong")}, tlsengine.ClientCertRejected)
	// ...with one (--crl, or the certificate's distribution point) it
	// is named.
	required["revoked, --crl URL"] = both(dcase{cert: d.revoked, mut: func(r *tlsengine.Request) { r.CRLs = []string{d.crlURL} },
		check: says("is revoked", "says the CRL")}, tlsengine.ClientCertRevoked)
	required["revoked, distribution point"] = both(dcase{cert: d.revokedCDP, check: says("is revoked")}, tlsengine.ClientCertRevoked)
	required["rogue"] = both(dcase{cert: d.rogue, check: says("local check", "which the server's certificate request does not list")}, tlsengine.ClientCertUnknownCA)
	required["via intermediate"] = both(dcase{cert: d.viaIn}, "")
	// A probe cannot see nginx's verdict: the handshake completes.
	required["probe, rogue"] = both(dcase{cert: d.rogue, probe: true, check: unjudged}, "")
	required["probe, good"] = both(dcase{cert: d.good, probe: true, check: judged}, "")
	onServers(t, []setup[dcase]{
		{"required", realserver.NginxConfig{TLS: d.serverCRLs(), Verify: realserver.VerifyRequired}, required},
		{"optional, nginx's 400 pages", realserver.NginxConfig{TLS: d.tlsConfig(), Verify: realserver.VerifyOptional,
			StatusIfNoCert: 496, StatusIfCertError: 495}, map[string]dcase{
			"good":           both(dcase{cert: d.good}, ""),
			"none":           both(dcase{}, tlsengine.ClientCertRequired),
			"rogue":          both(dcase{cert: d.rogue}, tlsengine.ClientCertUnknownCA),
			"probe, none":    both(dcase{probe: true, check: unjudged}, ""),
			"probe, expired": both(dcase{cert: d.expiredCert, probe: true, check: unjudged}, ""),
		}},
		{"optional_no_ca, 495 and 496 kept", realserver.NginxConfig{TLS: d.tlsConfig(), Verify: realserver.VerifyOptionalNoCA,
			StatusIfNoCert: 496, StatusIfCertError: 495, Extra: nginxKeeps495And496}, map[string]dcase{
			"none":        both(dcase{check: says("HTTP 496")}, tlsengine.ClientCertRequired),
			"rogue":       both(dcase{cert: d.rogue, check: says("HTTP 495", "does not list")}, tlsengine.ClientCertUnknownCA),
			"wrong usage": both(dcase{cert: d.wrongUsageCert, check: says("HTTP 495")}, tlsengine.ClientCertWrongUsage),
		}},
		// The application refuses a request that came without the optional
		// certificate: say that the server asked and nothing was sent, and
		// which identity fits.
		{"optional, 403 without a certificate", realserver.NginxConfig{TLS: d.tlsConfig(), Verify: realserver.VerifyOptional, StatusIfNoCert: 403}, map[string]dcase{
			"none": both(dcase{check: says("none was sent", "identity `good` is issued by CN=Realserver Test Root")}, tlsengine.ClientCertRequired),
		}},
		{"depth", realserver.NginxConfig{TLS: d.deepTLS(), Verify: realserver.VerifyRequired}, map[string]dcase{
			"two intermediates": both(dcase{cert: d.deep, check: says("2 intermediates", "nginx verifies 1 by default", "ssl_verify_depth 2")}, tlsengine.ClientCertUnknownCA),
		}},
		{"rsa signatures only", realserver.NginxConfig{TLS: d.tlsConfig(), Verify: realserver.VerifyRequired,
			Extra: "ssl_conf_command ClientSignatureAlgorithms rsa_pss_rsae_sha256:rsa_pkcs1_sha256;"}, map[string]dcase{
			"ec identity":  both(dcase{cert: d.good, check: says("RSA keys only", "identity `client-rsa`", "rsa_pss_rsae_sha256")}, tlsengine.NoSharedCipher),
			"rsa identity": both(dcase{cert: d.rsa}, ""),
		}},
		// The server sends its leaf without the intermediate that issued it;
		// the leaf names where the intermediate is published.
		{"server chain without its intermediate", realserver.NginxConfig{TLS: realserver.TLS{Cert: d.serverViaInter}}, map[string]dcase{
			"aia": both(dcase{mut: noWorkspaceCAs, check: says("does not send the intermediate CN=Realserver Test Intermediate", d.publisher.URL)},
				tlsengine.ServerChainIncomplete),
			"offline": both(dcase{mut: func(r *tlsengine.Request) { noWorkspaceCAs(r); r.Offline = true }}, tlsengine.ServerCertUntrusted),
			// A workspace CA holding the intermediate needs no fetch.
			"workspace CA": both(dcase{check: says("from your CAs", "trust `test-inter`")}, tlsengine.ServerChainIncomplete),
		}},
		{"unknown server name", realserver.NginxConfig{TLS: d.tlsConfig(), RejectUnknownNames: true}, map[string]dcase{
			"other name": both(dcase{mut: func(r *tlsengine.Request) { r.ServerName = "other.example" },
				check: says("alert 112", "--servername NAME", "--connect-to")}, tlsengine.TLSError),
			"no name": both(dcase{mut: func(r *tlsengine.Request) { r.ServerName = "" },
				check: says("no server name (SNI) was sent")}, tlsengine.TLSError),
			"localhost": both(dcase{mut: func(r *tlsengine.Request) { r.Header = http.Header{"Host": {"localhost"}} }}, ""),
		}},
	}, d.runDiag)
}

// noWorkspaceCAs leaves the request without workspace CAs: nothing local
// completes the server's chain.
func noWorkspaceCAs(r *tlsengine.Request) { r.KnownCAs, r.Candidates = nil, nil }

// unjudged and judged check a probe's verdict (issue 9 point 4).
func unjudged(rep tlsengine.Report) string {
	if rep.Unjudged == nil || !strings.Contains(rep.Unjudged.Summary, "has not judged the certificate at the TLS layer") {
		return "the probe reports plain success although the server has not judged the certificate"
	}
	return ""
}

func judged(rep tlsengine.Report) string {
	if rep.Unjudged != nil {
		return "the probe says unjudged: " + rep.Unjudged.Hints[0]
	}
	return ""
}

func TestDiagnosisHAProxy(t *testing.T) {
	t.Parallel()
	d := newDiagPKI(t)
	required := d.classic()
	required["probe, good"] = both(dcase{cert: d.good, probe: true, check: judged}, "")
	required["probe, rogue"] = both(dcase{cert: d.rogue, probe: true}, tlsengine.ClientCertUnknownCA)
	onServers(t, []setup[dcase]{
		{"required", realserver.HAProxyConfig{TLS: d.serverCRLs(), Verify: realserver.VerifyRequired}, required},
		{"optional, 496", realserver.HAProxyConfig{TLS: d.tlsConfig(), Verify: realserver.VerifyOptional, StatusIfNoCert: 496}, map[string]dcase{
			"none":        both(dcase{check: says("HTTP 496")}, tlsengine.ClientCertRequired),
			"rogue":       both(dcase{cert: d.rogue}, tlsengine.ClientCertUnknownCA),
			"probe, none": both(dcase{probe: true, check: unjudged}, ""),
		}},
		{"optional no CA, 495", realserver.HAProxyConfig{TLS: d.tlsConfig(), Verify: realserver.VerifyOptionalNoCA,
			StatusIfNoCert: 496, StatusIfCertError: 495}, map[string]dcase{
			"good":    both(dcase{cert: d.good}, ""),
			"rogue":   both(dcase{cert: d.rogue, check: says("HTTP 495")}, tlsengine.ClientCertUnknownCA),
			"expired": both(dcase{cert: d.expiredCert, check: says("HTTP 495")}, tlsengine.ClientCertExpired),
		}},
	}, d.runDiag)
}

func TestDiagnosisApache(t *testing.T) {
	t.Parallel()
	d := newDiagPKI(t)
	onServers(t, []setup[dcase]{
		{"vhost require", realserver.ApacheConfig{TLS: d.serverCRLs(), Verify: realserver.VerifyRequired}, d.classic()},
		// <Location /secure> SSLVerifyClient require: renegotiation on TLS
		// 1.2, which the engine accepts; post-handshake auth on TLS 1.3, which
		// it cannot offer and says so.
		{"location require", realserver.ApacheConfig{TLS: d.tlsConfig(), SecureVerify: realserver.VerifyRequired}, map[string]dcase{
			"outside": both(dcase{cert: d.good}, ""),
			"secure": {cert: d.good, path: "/secure/", want12: "", want13: tlsengine.ClientCertRequired,
				check: perVersion(renegotiated, says("post-handshake authentication", "--tls-max 1.2", "virtual-host level"))},
			"secure, none": both(dcase{path: "/secure/",
				check: perVersion(says("in the renegotiation it started"), says("Cannot perform Post-Handshake Authentication"))}, tlsengine.ClientCertRequired),
			"secure, rogue": {cert: d.rogue, path: "/secure/", want12: tlsengine.ClientCertUnknownCA, want13: tlsengine.ClientCertRequired},
		}},
		// The identity is issued by an intermediate and sent without it; the
		// server trusts the root only: name the workspace CA that completes it.
		{"client chain without its intermediate", realserver.ApacheConfig{TLS: d.tlsConfig(), Verify: realserver.VerifyRequired}, map[string]dcase{
			"sent alone": both(dcase{cert: d.interAlone, name: "joe",
				check: says("CN=Realserver Test Intermediate", "mtlswb chain add joe test-inter", "identity `joe-full` already carries it")}, tlsengine.ClientCertUnknownCA),
			// Apache's default SSLVerifyDepth 1 allows no intermediate: mod_ssl
			// logs "Certificate Chain too long" and sends alert 80.
			"sent with it": both(dcase{cert: d.viaIn, check: says("alert 80", "SSLVerifyDepth")}, tlsengine.ClientCertUnknownCA),
		}},
		{"client chain, SSLVerifyDepth 2", realserver.ApacheConfig{TLS: d.tlsConfig(), Verify: realserver.VerifyRequired, VerifyDepth: 2}, map[string]dcase{
			"sent with it": both(dcase{cert: d.viaIn}, ""),
		}},
	}, d.runDiag)
}

// renegotiated checks that the report says the certificate was asked for
// by renegotiation and sent.
func renegotiated(rep tlsengine.Report) string {
	if rep.TLS.ClientCertRequestedBy != "renegotiation" || rep.TLS.ClientCertSent == nil {
		return "the report does not say the certificate was requested by renegotiation and sent"
	}
	return ""
}

// perVersion checks a TLS 1.2 report with check12 and any other with
// check13.
func perVersion(check12, check13 func(tlsengine.Report) string) func(tlsengine.Report) string {
	return func(rep tlsengine.Report) string {
		if rep.TLS.Version == "TLS 1.2" {
			return check12(rep)
		}
		return check13(rep)
	}
}

// TestDiagnosisCloseWithoutAlert: servers that accept the certificate and
// then close without an alert (stunnel whose backend is down, a broker
// given HTTP) are no certificate rejection: TLS 1.3 session tickets came
// first.
func TestDiagnosisCloseWithoutAlert(t *testing.T) {
	t.Parallel()
	d := newDiagPKI(t)
	onServers(t, []setup[dcase]{
		{"stunnel, backend down", realserver.StunnelConfig{TLS: d.tlsConfig(), Verify: realserver.VerifyRequired, Backend: tlstest.ClosedAddr(t)}, map[string]dcase{
			"good": both(dcase{cert: d.good, check: func(rep tlsengine.Report) string {
				for _, c := range rep.Failure.Causes {
					if c.Category == tlsengine.ClientCertRejected {
						return "a rejection is among the causes: " + c.Evidence
					}
				}
				return ""
			}}, tlsengine.ConnectionReset),
			"none": both(dcase{}, tlsengine.ClientCertRequired),
		}},
		{"mosquitto given HTTP", realserver.MosquittoConfig{TLS: d.tlsConfig(), Verify: realserver.VerifyRequired}, map[string]dcase{
			// The engine asks the server again in MQTT (beyondhttp's
			// protocol sniffing) and says what it is: no rejection either.
			"good": both(dcase{cert: d.good, check: says("not a certificate rejection", "MQTT")}, tlsengine.HTTPError),
		}},
	}, d.runDiag)
}
