package main

import (
	"encoding/base64"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine/certfile"
)

// send speaks curl's spellings where the meaning is the same, so a curl
// command line works with `curl` replaced by `mtlswb send`. Exit codes and
// --json stay mtlswb's. The README's "for curl users" table lists them.

// curlFlags are send's curl-only flags; aliases of mtlswb's own flags
// write into those directly.
type curlFlags struct {
	output, maxTime, user, userAgent string
	include, silent, showError       bool
	verbose, head, fail, tls12       bool
	tls13                            bool
	data                             dataList
	pass, certType, keyType, capath  string

	// mtlswb's own flags that curl's spellings change.
	tf      *tlsFlags
	method  *string
	headers *stringList
	proxy   *string

	// Set by apply.
	body     string
	certPass []byte // after the colon of --cert FILE:PASSPHRASE
}

// dataList collects -d, --data, --data-binary and --data-raw in order;
// several are joined with '&' as curl does.
type dataList []dataArg

type dataArg struct {
	value string
	raw   bool // --data-raw: a leading @ is literal
}

func (d *dataList) String() string { return "" }

// dataFlag is one spelling of the body flag.
type dataFlag struct {
	list *dataList
	raw  bool
}

func (f dataFlag) String() string { return "" }
func (f dataFlag) Set(v string) error {
	*f.list = append(*f.list, dataArg{value: v, raw: f.raw})
	return nil
}

// shortBools and shortValues are curl's one-letter flags send knows, for
// expanding `-sSk` and `-XPOST` into what the flag package reads.
const (
	shortBools  = "kLisSvIf"
	shortValues = "oXHdumAExe"
)

func addCurlFlags(fs *flag.FlagSet, tf *tlsFlags, method *string, headers *stringList, follow *bool, proxy *string) *curlFlags {
	cf := &curlFlags{proxy: proxy, tf: tf, method: method, headers: headers}
	fs.BoolVar(&tf.insecure, "k", false, "alias of --insecure")
	fs.BoolVar(follow, "L", false, "alias of --follow")
	fs.BoolVar(follow, "location", false, "alias of --follow")
	fs.StringVar(proxy, "x", "", "alias of --proxy")
	fs.StringVar(&cf.output, "o", "", "alias of --output")
	fs.StringVar(&cf.output, "output", "", "write the whole response body to `FILE` (- for standard output)")
	fs.BoolVar(&cf.include, "i", false, "alias of --include")
	fs.BoolVar(&cf.include, "include", false, "print the status line and headers, then the body, on standard output")
	fs.BoolVar(&cf.silent, "s", false, "alias of --silent")
	fs.BoolVar(&cf.silent, "silent", false, "print only the body; the verdict goes to standard error when the request failed")
	fs.BoolVar(&cf.showError, "S", false, "alias of --show-error")
	fs.BoolVar(&cf.showError, "show-error", false, "with --silent: the verdict of a failure on standard error (always so in mtlswb)")
	fs.BoolVar(&cf.verbose, "v", false, "alias of --verbose")
	fs.BoolVar(&cf.verbose, "verbose", false, "the whole report on standard error, the body on standard output")
	fs.BoolVar(&cf.head, "I", false, "alias of --head")
	fs.BoolVar(&cf.head, "head", false, "send HEAD and print the status line and headers")
	fs.BoolVar(&cf.fail, "f", false, "alias of --fail")
	fs.BoolVar(&cf.fail, "fail", false, "exit 1 on an HTTP error status (always so in mtlswb)")
	fs.StringVar(&cf.maxTime, "m", "", "alias of --max-time")
	fs.StringVar(&cf.maxTime, "max-time", "", "give up after `SECONDS` (like --timeout)")
	fs.Var(dataFlag{list: &cf.data}, "d", "request `BODY`, or @FILE to read it from a file (bytes sent as they are; several joined with &)")
	fs.Var(dataFlag{list: &cf.data}, "data", "alias of -d")
	fs.Var(dataFlag{list: &cf.data}, "data-binary", "alias of -d")
	fs.Var(dataFlag{list: &cf.data, raw: true}, "data-raw", "request `BODY`, a leading @ included")
	// --user is also what PostgreSQL, MySQL, MQTT and FTP log in as (the
	// protocol flags): one flag, read as curl's USER:PASSWORD on an https://
	// URL (cmdSend moves it here) and as the protocol's user otherwise.
	if fs.Lookup("user") == nil {
		fs.StringVar(&cf.user, "user", "", "HTTP basic authentication as `USER:PASSWORD`")
	}
	fs.Var(fs.Lookup("user").Value, "u", "alias of --user")
	fs.StringVar(&cf.userAgent, "A", "", "alias of --user-agent")
	fs.StringVar(&cf.userAgent, "user-agent", "", "the User-Agent header `NAME`")
	fs.StringVar(&tf.certFile, "E", "", "alias of --cert")
	fs.StringVar(&cf.pass, "pass", "", "passphrase `PHRASE` of an encrypted --cert/--key (lands in shell history: prefer --pass-file)")
	fs.StringVar(&cf.certType, "cert-type", "", "`TYPE` of --cert: PEM, DER or P12 (read from the content anyway)")
	fs.StringVar(&cf.keyType, "key-type", "", "`TYPE` of --key: PEM or DER (read from the content anyway)")
	fs.StringVar(&cf.capath, "capath", "", "trust every CA certificate in the files of `DIR`")
	fs.BoolVar(&cf.tls12, "tlsv1.2", false, "at least TLS 1.2 (like --tls-min 1.2)")
	fs.BoolVar(&cf.tls13, "tlsv1.3", false, "at least TLS 1.3 (like --tls-min 1.3)")
	// --resolve and --connect-to are the diagnosis flags send and probe
	// share (send_diag.go); registering them here too would panic.
	return cf
}

// apply turns the parsed curl flags into the request's fields; set names
// the flags given. Every conflict is a usage error, before anything is sent.
func (cf *curlFlags) apply(set map[string]bool, maxBody int64) error {
	tf := cf.tf
	if err := cf.splitCertPass(); err != nil {
		return err
	}
	if err := oneOf("--cert-type", cf.certType, "PEM", "DER", "P12"); err != nil {
		return err
	}
	if err := oneOf("--key-type", cf.keyType, "PEM", "DER"); err != nil {
		return err
	}
	if cf.maxTime != "" {
		if set["timeout"] {
			return usagef("--max-time and --timeout both set the time limit: give one")
		}
		sec, err := strconv.ParseFloat(cf.maxTime, 64)
		if err != nil || sec <= 0 {
			return usagef("--max-time takes seconds, such as 5 or 0.5, not %q", cf.maxTime)
		}
		tf.timeout = time.Duration(sec * float64(time.Second)).String()
		tf.set["timeout"] = true
	}
	if cf.tls12 || cf.tls13 {
		if set["tls-min"] {
			return usagef("--tlsv1.x and --tls-min both set the minimum TLS version: give one")
		}
		tf.tlsMin = "1.2"
		if cf.tls13 {
			tf.tlsMin = "1.3"
		}
		tf.set["tls-min"] = true
	}
	if cf.capath != "" {
		files, err := caPathFiles(cf.capath)
		if err != nil {
			return err
		}
		tf.cas = append(tf.cas, files...)
		tf.set["ca"] = true
	}
	if cf.head {
		if *cf.method != "" && !strings.EqualFold(*cf.method, "HEAD") {
			return usagef("--head sends HEAD, and -X asks for %s: give one", *cf.method)
		}
		if len(cf.data) > 0 {
			return usagef("--head sends no body: drop -d, or drop --head")
		}
		*cf.method = "HEAD"
		cf.include = true
	}
	if cf.user != "" {
		if !strings.Contains(cf.user, ":") {
			return usagef("--user takes USER:PASSWORD (mtlswb does not prompt for it)")
		}
		*cf.headers = append(*cf.headers, "Authorization: Basic "+base64.StdEncoding.EncodeToString([]byte(cf.user)))
	}
	if cf.userAgent != "" {
		*cf.headers = append(*cf.headers, "User-Agent: "+cf.userAgent)
	}
	if *cf.proxy != "" && !strings.Contains(*cf.proxy, "://") {
		*cf.proxy = "http://" + *cf.proxy // curl's default scheme for -x host:port
	}
	if err := cf.readData(maxBody); err != nil {
		return err
	}
	return nil
}

// splitCertPass reads curl's --cert FILE:PASSPHRASE: the first colon ends
// the name ("\:" is a colon of the name), so the passphrase may hold
// colons. A file that exists under the whole name is taken as it is.
func (cf *curlFlags) splitCertPass() error {
	v := cf.tf.certFile
	if v == "" {
		return nil
	}
	if _, err := os.Stat(v); err == nil {
		return nil
	}
	for i := 1; i < len(v); i++ {
		if v[i] == ':' && v[i-1] != '\\' {
			cf.tf.certFile = strings.ReplaceAll(v[:i], `\:`, ":")
			cf.certPass = []byte(v[i+1:])
			return nil
		}
	}
	cf.tf.certFile = strings.ReplaceAll(v, `\:`, ":")
	return nil
}

// keyPassphrase answers for an encrypted --cert/--key: the passphrase
// after the colon of --cert, --pass, then --pass-file, the environment
// and the prompt.
func (cf *curlFlags) keyPassphrase(fallback certfile.PassphraseFunc) certfile.PassphraseFunc {
	given := cf.certPass
	if given == nil && cf.pass != "" {
		given = []byte(cf.pass)
	}
	if given == nil {
		return fallback
	}
	return func(string) ([]byte, error) { return append([]byte(nil), given...), nil }
}

// readData reads the body flags; @FILE reads at most maxBody bytes.
func (cf *curlFlags) readData(maxBody int64) error {
	var parts []string
	for _, d := range cf.data {
		v := d.value
		if !d.raw && strings.HasPrefix(v, "@") {
			b, err := readLimited(v[1:], maxBody, "request body")
			if err != nil {
				return badInput(fmt.Errorf("read request body: %w", err))
			}
			v = string(b)
		}
		parts = append(parts, v)
	}
	cf.body = strings.Join(parts, "&")
	return nil
}

func oneOf(flagName, v string, allowed ...string) error {
	if v == "" {
		return nil
	}
	for _, a := range allowed {
		if strings.EqualFold(v, a) || (a == "P12" && strings.EqualFold(v, "PKCS12")) {
			return nil
		}
	}
	return usagef("%s must be one of %s, not %q", flagName, strings.Join(allowed, ", "), v)
}

// caPathFiles lists the files of --capath DIR that hold certificates
// (OpenSSL's hashed links included), in name order.
func caPathFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, badInput(fmt.Errorf("--capath %s: %w", dir, err))
	}
	var files []string
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() {
			continue
		}
		if b, err := certfile.ParseFile(p, nil); err == nil && len(b.Certs) > 0 {
			files = append(files, p)
		}
	}
	if len(files) == 0 {
		return nil, badInput(fmt.Errorf("--capath %s holds no certificate file", dir))
	}
	return files, nil
}

// expandShortFlags rewrites curl's joined one-letter flags for the flag
// package: -sSk becomes -s -S -k, -XPOST becomes -X POST, -so FILE becomes
// -s -o FILE. Arguments that are flags of fs, values of the flag before
// them, or anything after "--" are left alone.
func expandShortFlags(fs *flag.FlagSet, args []string) []string {
	out := make([]string, 0, len(args))
	takesValue := false
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		if takesValue {
			out, takesValue = append(out, a), false
			continue
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || strings.HasPrefix(a, "--") || len(a) < 3 || fs.Lookup(name) != nil {
			if f := fs.Lookup(name); f != nil && strings.HasPrefix(a, "-") && !hasValue && !isBool(f) {
				takesValue = true
			}
			out = append(out, a)
			continue
		}
		expanded, valueNext := expandShort(a[1:])
		out = append(out, expanded...)
		takesValue = valueNext
	}
	return out
}

// expandShort expands the letters of one -abc argument; valueNext says the
// last flag waits for its value in the next argument.
func expandShort(letters string) ([]string, bool) {
	var out []string
	for i, r := range letters {
		switch {
		case strings.ContainsRune(shortBools, r):
			out = append(out, "-"+string(r))
		case strings.ContainsRune(shortValues, r):
			out = append(out, "-"+string(r))
			if rest := letters[i+1:]; rest != "" {
				return append(out, rest), false
			}
			return out, true
		default:
			// Not curl's: leave it whole for the flag package to refuse.
			return []string{"-" + letters}, false
		}
	}
	return out, false
}

func isBool(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}
