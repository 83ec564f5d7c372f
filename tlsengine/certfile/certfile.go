package certfile

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// MaxFileSize is the largest file ParseFile reads. Real certificate, key and
// PKCS#12 files are kilobytes; anything bigger is the wrong path, and reading
// it whole would only waste memory.
const MaxFileSize = 10 << 20

// PassphraseFunc supplies the passphrase for file. It is called only when the
// file is encrypted, and at most once per file. A nil PassphraseFunc makes an
// encrypted file fail with ErrEncrypted.
type PassphraseFunc func(file string) ([]byte, error)

// Bundle is everything found in one file.
type Bundle struct {
	Certs []*x509.Certificate
	Keys  []crypto.Signer
	// Source names the file (or other origin) the bundle came from.
	Source string
	// Skipped names the PEM blocks that carry nothing to import (certificate
	// requests, CRLs, public keys, the EC PARAMETERS `openssl ecparam -genkey`
	// writes before a key, unknown types), already sanitized, so the caller
	// can mention them.
	Skipped []string
}

var (
	// ErrWrongPassphrase means the file is encrypted and the passphrase given
	// does not open it.
	ErrWrongPassphrase = errors.New("wrong passphrase")
	// ErrEncrypted means the file is encrypted and no passphrase was available.
	ErrEncrypted = errors.New("is encrypted; pass --pass-file or set MTLSWB_IMPORT_PASSPHRASE")
	// ErrTooLarge means the file is over MaxFileSize.
	ErrTooLarge = errors.New("file is too large")
)

// FormatError says a file is not what it should be: garbage, truncated, or a
// format this package does not read. Reason says what was expected and what
// was found.
type FormatError struct {
	File   string
	Reason string
	// Err is the underlying parser error, when there is one.
	Err error
}

func (e *FormatError) Error() string {
	msg := safetext.Line(e.File) + ": " + safetext.Line(e.Reason)
	if e.Err != nil {
		msg += ": " + safetext.Line(e.Err.Error())
	}
	return msg
}

func (e *FormatError) Unwrap() error { return e.Err }

// UnmatchedKeyError says a private key was imported without the certificate
// that belongs to it, so it cannot form an identity.
type UnmatchedKeyError struct {
	File string
	// Key describes the key's public half ("ec-p256", "rsa-2048"), never the
	// private bytes.
	Key string
}

func (e *UnmatchedKeyError) Error() string {
	return fmt.Sprintf("%s: %s key matches none of the certificates; import the certificate that belongs to it in the same command",
		safetext.Line(e.File), safetext.Line(e.Key))
}

// ParseFile reads path and parses it like Parse. Files over MaxFileSize are
// refused before they are read.
func ParseFile(path string, pass PassphraseFunc) (*Bundle, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", safetext.Line(path), err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat %s: %w", safetext.Line(path), err)
	}
	if st.IsDir() {
		return nil, &FormatError{File: path, Reason: "is a directory, not a certificate or key file"}
	}
	if st.Size() > MaxFileSize {
		return nil, tooLarge(path, st.Size())
	}
	// The limit also holds for files whose size Stat cannot know (pipes,
	// devices, a file still growing).
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", safetext.Line(path), err)
	}
	if len(data) > MaxFileSize {
		return nil, tooLarge(path, int64(len(data)))
	}
	return Parse(data, path, pass)
}

func tooLarge(file string, size int64) error {
	return fmt.Errorf("%s: %w: %d bytes is over the %d MiB limit; certificate and key files are a few kilobytes, so check the path",
		safetext.Line(file), ErrTooLarge, size, MaxFileSize>>20)
}

// Parse finds every certificate and private key in data, detecting the format
// from the content. source names the data in errors and in the Bundle.
func Parse(data []byte, source string, pass PassphraseFunc) (*Bundle, error) {
	if len(data) > MaxFileSize {
		return nil, tooLarge(source, int64(len(data)))
	}
	p := &parser{
		bundle: &Bundle{Source: source},
		pass:   passphrase{file: source, fn: pass},
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, p.formatErr("the file is empty; expected a certificate or key (PEM, DER or PKCS#12)", nil)
	}
	data = toUTF8(data)
	var err error
	switch {
	case pemStart(data, 0) >= 0:
		err = p.parsePEM(data)
	case looksBase64(data):
		err = p.parseBase64(data)
	case isText(data):
		// A text file starting with "0" would otherwise read as a DER
		// SEQUENCE and be reported as truncated binary.
		err = p.formatErr("no certificate or key found: the file is text without any -----BEGIN line (not PEM), and not base64", nil)
	default:
		err = p.parseDER(data, "")
	}
	if err != nil {
		return nil, err
	}
	if len(p.bundle.Certs) == 0 && len(p.bundle.Keys) == 0 {
		reason := "no certificate or key found"
		if len(p.bundle.Skipped) > 0 {
			reason += fmt.Sprintf(": only %s blocks", joinQuoted(p.bundle.Skipped))
		}
		return nil, p.formatErr(reason, nil)
	}
	return p.bundle, nil
}

// parser holds the state of one Parse call.
type parser struct {
	bundle *Bundle
	pass   passphrase
}

func (p *parser) formatErr(reason string, err error) error {
	return &FormatError{File: p.bundle.Source, Reason: reason, Err: err}
}

func (p *parser) wrongPassphrase(why string) error {
	if why == "" {
		return fmt.Errorf("%s: %w", safetext.Line(p.bundle.Source), ErrWrongPassphrase)
	}
	return fmt.Errorf("%s: %w (%s)", safetext.Line(p.bundle.Source), ErrWrongPassphrase, why)
}

func (p *parser) addKey(k any) error {
	s, ok := k.(crypto.Signer)
	if !ok {
		return p.formatErr(fmt.Sprintf("found a %T private key, which cannot sign; a client identity needs an RSA, ECDSA or Ed25519 key", k), nil)
	}
	p.bundle.Keys = append(p.bundle.Keys, s)
	return nil
}

// passphrase asks for a file's passphrase once and remembers the answer, so a
// file with several encrypted blocks prompts a single time.
type passphrase struct {
	file  string
	fn    PassphraseFunc
	asked bool
	value []byte
	err   error
}

func (p *passphrase) get() ([]byte, error) {
	if p.asked {
		return p.value, p.err
	}
	p.asked = true
	switch {
	case p.fn == nil:
		p.err = fmt.Errorf("%s: %w", safetext.Line(p.file), ErrEncrypted)
	default:
		v, err := p.fn(p.file)
		switch {
		case err != nil:
			p.err = fmt.Errorf("%s: read passphrase: %w", safetext.Line(p.file), err)
		case len(v) == 0:
			// An empty passphrase on a PKCS#12 file is tried before asking,
			// and no other format can have one, so it is wrong.
			p.err = fmt.Errorf("%s: %w (the passphrase given is empty)", safetext.Line(p.file), ErrWrongPassphrase)
		default:
			p.value = v
		}
	}
	return p.value, p.err
}

func joinQuoted(ss []string) string {
	var b bytes.Buffer
	for i, s := range ss {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", s)
	}
	return b.String()
}

// toUTF8 undoes what editors and shells do to PEM text: a UTF-8 byte-order
// mark (which would hide the first BEGIN line) and UTF-16, which Windows
// PowerShell's `>` redirect writes. Only text with a byte-order mark is
// converted; DER never starts with one.
func toUTF8(data []byte) []byte {
	switch {
	case bytes.HasPrefix(data, []byte{0xef, 0xbb, 0xbf}):
		return data[3:]
	case len(data) >= 2 && len(data)%2 == 0 && (data[0] == 0xff && data[1] == 0xfe || data[0] == 0xfe && data[1] == 0xff):
		u := make([]uint16, 0, len(data)/2-1)
		for i := 2; i < len(data); i += 2 {
			if data[0] == 0xff {
				u = append(u, uint16(data[i])|uint16(data[i+1])<<8)
			} else {
				u = append(u, uint16(data[i])<<8|uint16(data[i+1]))
			}
		}
		return []byte(string(utf16.Decode(u)))
	}
	return data
}

// isText reports whether data is UTF-8 text without control characters other
// than tab, CR and LF. No certificate or key DER is: inner tags such as
// INTEGER (0x02) and short lengths are control bytes, and long-form lengths
// (0x81-0x84) are not valid UTF-8.
func isText(data []byte) bool {
	if !utf8.Valid(data) {
		return false
	}
	for _, c := range data {
		if c < 0x20 && c != '\t' && c != '\r' && c != '\n' || c == 0x7f {
			return false
		}
	}
	return true
}
