package workspace

import (
	"bytes"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/textproto"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/crypto/chacha20poly1305"
)

// # Sealed history
//
// An attempt is saved after it ran, often without the passphrase at hand
// (a request without a client certificate never unlocks), yet the
// credentials it carried must not sit in the file in clear. So history is
// sealed to a public key: an X25519 key pair derived from the master key,
// whose public half is in the meta bucket. Saving needs only the public
// key; reading a sealed value needs the workspace unlocked. Each sealed
// value is "mtlswb-sealed:v1:" + base64(ephemeral public key ‖ nonce ‖
// XChaCha20-Poly1305 ciphertext), its AAD naming the field, so values
// cannot be moved between fields.

var (
	metaHistoryPub    = []byte("history_pub")    // X25519 public key sealing history
	metaHistoryPolicy = []byte("history_policy") // HistoryPolicy JSON
)

const (
	sealedPrefix   = "mtlswb-sealed:v1:"
	historyKeyInfo = "mtlswb/v1/history-x25519"
	historySealKDF = "mtlswb/v1/history-seal"
	historyAAD     = "mtlswb/v1/history/"
	// SealedPlaceholder replaces a sealed value read without the keys.
	SealedPlaceholder = "[sealed: unlock the workspace to see it]"
	redactedValue     = "[redacted]"
	// DefaultHistoryKeep is how many attempts history keeps by default.
	DefaultHistoryKeep = 1000
)

// secretHeaders always carry credentials; a policy can name more.
var secretHeaders = []string{"Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie"}

// HistoryPolicy says what history keeps and hides.
type HistoryPolicy struct {
	// Keep is how many attempts are kept; older ones are deleted as new
	// ones are saved. 0 means DefaultHistoryKeep.
	Keep int `json:"keep,omitempty"`
	// SecretHeaders are sealed besides Authorization, Proxy-Authorization,
	// Cookie and Set-Cookie.
	SecretHeaders []string `json:"secret_headers,omitempty"`
	// SealBodies seals request bodies and response bodies (the preview and
	// the bytes kept).
	SealBodies bool `json:"seal_bodies,omitempty"`
	// Redact drops secret values instead of sealing them. Only a workspace
	// without a passphrase honours it: there, sealing protects nothing from
	// whoever holds the file, since the master key is in it.
	Redact bool `json:"redact,omitempty"`
}

func (p HistoryPolicy) keep() int {
	if p.Keep <= 0 {
		return DefaultHistoryKeep
	}
	return p.Keep
}

func (p HistoryPolicy) secret(header string) bool {
	h := textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(header))
	return slices.ContainsFunc(append(slices.Clone(secretHeaders), p.SecretHeaders...), func(s string) bool {
		return textproto.CanonicalMIMEHeaderKey(s) == h
	})
}

func readPolicy(tx *bolt.Tx) HistoryPolicy {
	var p HistoryPolicy
	if v := tx.Bucket(bucketMeta).Get(metaHistoryPolicy); v != nil {
		json.Unmarshal(v, &p) // a damaged policy is the default one
	}
	return p
}

// HistoryPolicy returns the workspace's history policy.
func (s *Store) HistoryPolicy() (HistoryPolicy, error) {
	var p HistoryPolicy
	err := s.view(func(tx *bolt.Tx) error { p = readPolicy(tx); return nil })
	return p, err
}

// SetHistoryPolicy stores p; it applies to attempts saved from now on, and
// its Keep at once.
func (s *Store) SetHistoryPolicy(p HistoryPolicy) error {
	if p.Keep < 0 {
		return errors.New("history policy: keep must be positive")
	}
	v, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return s.update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketMeta).Put(metaHistoryPolicy, v); err != nil {
			return err
		}
		return trimHistory(tx, p.keep())
	})
}

// historyKeyPair derives the history key pair from the master key.
func historyKeyPair(mk []byte) (*ecdh.PrivateKey, error) {
	seed, err := hkdf.Key(sha256.New, mk, nil, historyKeyInfo, 32)
	if err != nil {
		return nil, err
	}
	return ecdh.X25519().NewPrivateKey(seed)
}

func (k *Keys) historyKey() (*ecdh.PrivateKey, error) {
	if k == nil {
		return nil, ErrLocked
	}
	mk, err := k.masterKey(k.workspaceID)
	if err != nil {
		return nil, err
	}
	defer clear(mk)
	return historyKeyPair(mk)
}

func sealKey(shared, ephPub, pub []byte) ([]byte, error) {
	return hkdf.Key(sha256.New, shared, append(slices.Clone(ephPub), pub...), historySealKDF, chacha20poly1305.KeySize)
}

// sealValue seals plaintext for the holder of pub's private key.
func sealValue(pub *ecdh.PublicKey, field string, plaintext []byte) (string, error) {
	eph, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return "", err
	}
	shared, err := eph.ECDH(pub)
	if err != nil {
		return "", err
	}
	key, err := sealKey(shared, eph.PublicKey().Bytes(), pub.Bytes())
	if err != nil {
		return "", err
	}
	ct, err := seal(key, plaintext, []byte(historyAAD+field))
	if err != nil {
		return "", err
	}
	return sealedPrefix + base64.RawStdEncoding.EncodeToString(append(eph.PublicKey().Bytes(), ct...)), nil
}

func openValue(priv *ecdh.PrivateKey, field, sealed string) ([]byte, error) {
	raw, err := base64.RawStdEncoding.DecodeString(strings.TrimPrefix(sealed, sealedPrefix))
	if err != nil || len(raw) < 32 {
		return nil, fmt.Errorf("sealed history value is damaged: %w", ErrCorrupt)
	}
	ephPub, err := ecdh.X25519().NewPublicKey(raw[:32])
	if err != nil {
		return nil, fmt.Errorf("sealed history value is damaged: %w", ErrCorrupt)
	}
	shared, err := priv.ECDH(ephPub)
	if err != nil {
		return nil, err
	}
	key, err := sealKey(shared, raw[:32], priv.PublicKey().Bytes())
	if err != nil {
		return nil, err
	}
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, err
	}
	pt, err := openSealed(aead, raw[32:], []byte(historyAAD+field))
	if err != nil {
		return nil, fmt.Errorf("sealed history value does not open (altered, or from another workspace): %w", ErrCorrupt)
	}
	return pt, nil
}

// hider seals or redacts one entry's secret values in place.
type hider struct {
	policy HistoryPolicy
	pub    *ecdh.PublicKey // nil: redact
	err    error
}

func (h *hider) hide(field, value string) string {
	if value == "" || strings.HasPrefix(value, sealedPrefix) {
		return value
	}
	if h.pub == nil {
		return redactedValue
	}
	s, err := sealValue(h.pub, field, []byte(value))
	if err != nil {
		h.err = err
		return redactedValue
	}
	return s
}

// hideEntry rewrites the secret parts of e's Request (a RequestSpec:
// "headers" as "Name: value" lines, "body") and Report (a tlsengine.Report:
// "http.headers" and "http.headers_base64", the exact bytes of headers that
// are not UTF-8; "http.body_preview" and "http.body"). Both are the
// caller's JSON; fields this code does not know are kept as they are.
func (h *hider) hideEntry(e *HistoryEntry) error {
	if req, ok := decodeObject(e.Request); ok {
		if raw, ok := req["headers"]; ok {
			var lines []string
			if json.Unmarshal(raw, &lines) == nil {
				for i, l := range lines {
					if name, value, ok := strings.Cut(l, ":"); ok && h.policy.secret(name) {
						lines[i] = name + ": " + h.hide("request.header."+canon(name), strings.TrimSpace(value))
					}
				}
				req["headers"], _ = json.Marshal(lines)
			}
		}
		if h.policy.SealBodies {
			hideString(req, "body", func(v string) string { return h.hide("request.body", v) })
		}
		e.Request, _ = json.Marshal(req)
	}
	if rep, ok := decodeObject(e.Report); ok {
		if httpRaw, ok := rep["http"]; ok {
			if hi, ok := decodeObject(httpRaw); ok {
				for key, field := range map[string]string{"headers": "response.header.", "headers_base64": "response.header_bytes."} {
					var headers map[string][]string
					if raw, ok := hi[key]; ok && json.Unmarshal(raw, &headers) == nil {
						for name, values := range headers {
							if h.policy.secret(name) {
								for i, v := range values {
									values[i] = h.hide(field+canon(name), v)
								}
							}
						}
						hi[key], _ = json.Marshal(headers)
					}
				}
				if h.policy.SealBodies {
					hideString(hi, "body_preview", func(v string) string { return h.hide("response.body", v) })
					hideString(hi, "body", func(v string) string { return h.hide("response.body_bytes", v) })
				}
				rep["http"], _ = json.Marshal(hi)
			}
		}
		e.Report, _ = json.Marshal(rep)
	}
	return h.err
}

func canon(name string) string { return textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(name)) }

func decodeObject(b []byte) (map[string]json.RawMessage, bool) {
	var m map[string]json.RawMessage
	if len(bytes.TrimSpace(b)) == 0 || json.Unmarshal(b, &m) != nil || m == nil {
		return nil, false
	}
	return m, true
}

func hideString(m map[string]json.RawMessage, key string, fn func(string) string) {
	var v string
	if raw, ok := m[key]; ok && json.Unmarshal(raw, &v) == nil && v != "" {
		m[key], _ = json.Marshal(fn(v))
	}
}

// unsealJSON replaces every sealed value in a stored document: with its
// plaintext when priv is given, else with SealedPlaceholder. Sealed values
// only appear as JSON strings, whole or after "Name: ".
func unsealJSON(doc []byte, priv *ecdh.PrivateKey) ([]byte, error) {
	if !bytes.Contains(doc, []byte(sealedPrefix)) {
		return doc, nil
	}
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		return doc, nil
	}
	var firstErr error
	v = walkStrings(v, "", func(path, s string) string {
		name, rest, hasName := strings.Cut(s, ": ")
		sealed, field := s, path
		if hasName && strings.HasPrefix(rest, sealedPrefix) {
			sealed, field = rest, path+".header."+canon(name)
		}
		if !strings.HasPrefix(sealed, sealedPrefix) {
			return s
		}
		out := SealedPlaceholder
		if priv != nil {
			pt, err := openValue(priv, field, sealed)
			if err != nil && firstErr == nil {
				firstErr = err
			}
			if err == nil {
				out = string(pt)
			}
		}
		if sealed != s {
			return name + ": " + out
		}
		return out
	})
	b, err := json.Marshal(v)
	if err != nil {
		return doc, err
	}
	return b, firstErr
}

// walkStrings maps every string in a decoded JSON value. path names where
// it is the way hideEntry's fields do: "request.header.X" is found as a
// "Name: value" line under "request"; the others by their key.
func walkStrings(v any, path string, fn func(path, s string) string) any {
	switch t := v.(type) {
	case string:
		return fn(path, t)
	case []any:
		for i := range t {
			t[i] = walkStrings(t[i], path, fn)
		}
	case map[string]any:
		for k, x := range t {
			t[k] = walkStrings(x, fieldPath(path, k), fn)
		}
	}
	return v
}

// fieldPath maps a JSON key path to the field names hideEntry sealed with.
func fieldPath(path, key string) string {
	switch {
	case path == "" && key == "headers":
		return "request"
	case path == "" && key == "body":
		return "request.body"
	case path == "" && key == "http":
		return "http"
	case path == "http" && key == "headers":
		return "response.headers"
	case path == "response.headers":
		return "response.header." + canon(key)
	case path == "http" && key == "headers_base64":
		return "response.headers_base64"
	case path == "response.headers_base64":
		return "response.header_bytes." + canon(key)
	case path == "http" && key == "body_preview":
		return "response.body"
	case path == "http" && key == "body":
		return "response.body_bytes"
	}
	return path + "." + key
}

// addHistoryKey stores the history public key in a workspace made before
// history was sealed, the first time it is unlocked. Failing (a busy or
// read-only file) only postpones it: until then secrets are redacted.
func (s *Store) addHistoryKey(keys *Keys) {
	priv, err := keys.historyKey()
	if err != nil {
		return
	}
	_ = s.update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(metaHistoryPub, priv.PublicKey().Bytes())
	})
}
