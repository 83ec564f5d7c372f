package tui

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/mtlswb/mtlswb/workspace"
)

// Copy as: the request as a curl or an openssl s_client command line, for
// a colleague or a ticket. Keys never leave the workspace this way: the
// identity and CAs are referenced by file names, with the mtlswb export
// command that writes those files as a comment above.

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@%+,", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// exportNotes are the comment lines saying how to write the files a
// command line names.
func exportNotes(spec workspace.RequestSpec) []string {
	var notes []string
	if id := spec.Identity; id != "" && id != "auto" {
		notes = append(notes,
			"# the client certificate and key are not in this command: write them with",
			"#   mtlswb export "+shellQuote(id)+" --out "+shellQuote(id+".pem")+"   (keep that file private)")
	}
	if spec.Identity == "auto" {
		notes = append(notes, "# identity auto: run `mtlswb which URL` or send once in mtlswb to see which identity fits")
	}
	for _, ca := range spec.CAs {
		notes = append(notes, "#   mtlswb export "+shellQuote(ca)+" --out "+shellQuote(ca+".pem"))
	}
	if len(spec.CAs) > 1 {
		notes = append(notes, "#   cat "+strings.Join(quoteAll(pemNames(spec.CAs)), " ")+" > trust.pem")
	}
	return notes
}

func pemNames(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = n + ".pem"
	}
	return out
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = shellQuote(s)
	}
	return out
}

// trustFile is the one CA file a command line names ("" for system roots).
func trustFile(spec workspace.RequestSpec) string {
	switch len(spec.CAs) {
	case 0:
		return ""
	case 1:
		return spec.CAs[0] + ".pem"
	}
	return "trust.pem"
}

// curlCommand is spec as a curl command line.
func curlCommand(spec workspace.RequestSpec) string {
	lines := exportNotes(spec)
	args := []string{"curl", "--silent", "--show-error", "--include"}
	method := strings.ToUpper(spec.Method)
	if method == "" {
		method = "GET"
	}
	if method == "HEAD" {
		args = append(args, "--head")
	} else if method != "GET" || spec.Body != "" {
		args = append(args, "--request", shellQuote(method))
	}
	for _, h := range spec.Headers {
		args = append(args, "--header", shellQuote(h))
	}
	if spec.Body != "" {
		args = append(args, "--data-raw", shellQuote(spec.Body))
	}
	if id := spec.Identity; id != "" && id != "auto" {
		args = append(args, "--cert", shellQuote(id+".pem"))
	}
	if f := trustFile(spec); f != "" {
		args = append(args, "--cacert", shellQuote(f))
		if spec.SystemRoots {
			lines = append(lines, "# trust: curl's --cacert replaces the system roots; this request also trusts them")
		}
	}
	if spec.Insecure {
		args = append(args, "--insecure")
	}
	switch spec.TLSMin {
	case "1.2":
		args = append(args, "--tlsv1.2")
	case "1.3":
		args = append(args, "--tlsv1.3")
	}
	if spec.TLSMax != "" {
		args = append(args, "--tls-max", spec.TLSMax)
	}
	if d, err := time.ParseDuration(spec.Timeout); err == nil && d > 0 {
		args = append(args, "--max-time", fmt.Sprint(d.Seconds()))
	}
	if sni := spec.ServerName; sni != "" {
		if host, port := hostPort(spec.URL); host != "" && !strings.EqualFold(sni, host) {
			// curl sends the URL's host as SNI: reach the real address
			// under the name the server expects.
			args = append(args, "--connect-to", shellQuote(sni+":"+port+":"+host+":"+port))
			lines = append(lines, "# SNI "+sni+": the URL below names it, --connect-to reaches "+host)
			spec.URL = strings.Replace(spec.URL, host, sni, 1)
		}
	}
	args = append(args, shellQuote(spec.URL))
	return strings.Join(append(lines, strings.Join(args, " ")), "\n")
}

// opensslCommand is the handshake of spec as an openssl s_client line.
func opensslCommand(spec workspace.RequestSpec) string {
	lines := exportNotes(spec)
	host, port := hostPort(spec.URL)
	args := []string{"openssl", "s_client", "-connect", shellQuote(net.JoinHostPort(host, port))}
	sni := spec.ServerName
	if sni == "" {
		sni = host
	}
	if net.ParseIP(sni) == nil {
		args = append(args, "-servername", shellQuote(sni))
	}
	if id := spec.Identity; id != "" && id != "auto" {
		args = append(args, "-cert", shellQuote(id+".pem"), "-key", shellQuote(id+".pem"))
	}
	if f := trustFile(spec); f != "" {
		args = append(args, "-CAfile", shellQuote(f))
	}
	if !spec.Insecure {
		args = append(args, "-verify_return_error", "-verify_hostname", shellQuote(sni))
	}
	args = append(args, "-alpn", "h2,http/1.1")
	if spec.TLSMin != "" {
		args = append(args, "-min_protocol", "TLSv"+spec.TLSMin)
	}
	if spec.TLSMax != "" {
		args = append(args, "-max_protocol", "TLSv"+spec.TLSMax)
	}
	// </dev/null: s_client ends after the handshake instead of waiting
	// for input.
	return strings.Join(append(lines, strings.Join(args, " ")+" </dev/null"), "\n")
}

// hostPort is the host and port a URL (or host:port) reaches.
func hostPort(raw string) (host, port string) {
	raw = strings.TrimSpace(raw)
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		port = u.Port()
		if port == "" {
			port = "443"
		}
		return u.Hostname(), port
	}
	if h, p, err := net.SplitHostPort(raw); err == nil {
		return h, p
	}
	return raw, "443"
}
