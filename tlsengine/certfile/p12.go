package certfile

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"hash"
	"strings"

	"software.sslmate.com/src/go-pkcs12"
)

// The PKCS#12 outer structures, declared again here (go-pkcs12 keeps its own
// unexported) so the KDF costs can be checked before go-pkcs12 runs them, and
// so a certificates-only file can be read, which go-pkcs12 cannot do.
type pfxPDU struct {
	Version  int
	AuthSafe contentInfo
	MacData  macData `asn1:"optional"`
}

type contentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"tag:0,explicit,optional"`
}

type macData struct {
	Mac struct {
		Algorithm pkix.AlgorithmIdentifier
		Digest    []byte
	}
	MacSalt    []byte
	Iterations int `asn1:"optional,default:1"`
}

type encryptedData struct {
	Version              int
	EncryptedContentInfo struct {
		ContentType      asn1.ObjectIdentifier
		Algorithm        pkix.AlgorithmIdentifier
		EncryptedContent []byte `asn1:"tag:0,optional"`
	}
}

type safeBag struct {
	ID         asn1.ObjectIdentifier
	Value      asn1.RawValue   `asn1:"tag:0,explicit"`
	Attributes []asn1.RawValue `asn1:"set,optional"`
}

type certBag struct {
	ID   asn1.ObjectIdentifier
	Data []byte `asn1:"tag:0,explicit"`
}

var (
	oidData            = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidEncryptedData   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 6}
	oidShroudedKeyBag  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 2}
	oidCertBag         = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 3}
	oidX509Certificate = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 22, 1}
	oidHMACSHA512      = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 11}
)

// errP12Password means the MAC or decryption failed under the password tried.
var errP12Password = errors.New("pkcs12 password does not match")

// authSafe returns the ContentInfos of a PFX's authenticated safe.
func authSafe(pfx *pfxPDU) ([]contentInfo, error) {
	if !pfx.AuthSafe.ContentType.Equal(oidData) {
		return nil, errors.New("only password-integrity PKCS#12 is supported (not public-key integrity)")
	}
	var octets []byte
	if _, err := asn1.Unmarshal(pfx.AuthSafe.Content.Bytes, &octets); err != nil {
		return nil, err
	}
	var cis []contentInfo
	if _, err := asn1.Unmarshal(octets, &cis); err != nil {
		return nil, err
	}
	return cis, nil
}

// checkP12Cost bounds every KDF the decoder will run before it runs one. Parse
// failures are left to the decoder, which reports them; parameters hidden
// inside encrypted content are reached only after the MAC has proved the
// passphrase, so they come from whoever knows it.
func checkP12Cost(der []byte) error {
	var pfx pfxPDU
	if _, err := asn1.Unmarshal(der, &pfx); err != nil {
		return nil
	}
	if mac := pfx.MacData.Mac.Algorithm; len(mac.Algorithm) > 0 {
		if mac.Algorithm.Equal(oidPBMAC1) {
			if err := checkAlgorithmCost(mac); err != nil {
				return err
			}
		} else if err := checkIterations(pfx.MacData.Iterations); err != nil {
			return err
		}
	}
	cis, err := authSafe(&pfx)
	if err != nil {
		return nil
	}
	for _, ci := range cis {
		switch {
		case ci.ContentType.Equal(oidData):
			var octets []byte
			var bags []safeBag
			if _, err := asn1.Unmarshal(ci.Content.Bytes, &octets); err != nil {
				continue
			}
			if _, err := asn1.Unmarshal(octets, &bags); err != nil {
				continue
			}
			for _, bag := range bags {
				if !bag.ID.Equal(oidShroudedKeyBag) {
					continue
				}
				var info encryptedKeyInfo
				if _, err := asn1.Unmarshal(bag.Value.Bytes, &info); err != nil {
					continue
				}
				if err := checkAlgorithmCost(info.Alg); err != nil {
					return err
				}
			}
		case ci.ContentType.Equal(oidEncryptedData):
			var ed encryptedData
			if _, err := asn1.Unmarshal(ci.Content.Bytes, &ed); err != nil {
				continue
			}
			if err := checkAlgorithmCost(ed.EncryptedContentInfo.Algorithm); err != nil {
				return err
			}
		}
	}
	return nil
}

func (p *parser) parseP12(der []byte) error {
	if err := checkP12Cost(der); err != nil {
		return p.formatErr("PKCS#12 file cannot be opened safely", err)
	}
	keys, certs, err := decodeP12(der, "")
	if errors.Is(err, errP12Password) {
		pw, perr := p.pass.get()
		if perr != nil {
			return perr
		}
		for _, r := range string(pw) {
			if r > 0xffff {
				return p.wrongPassphrase("it has characters outside the Basic Multilingual Plane, which PKCS#12 cannot encode")
			}
		}
		keys, certs, err = decodeP12(der, string(pw))
		if errors.Is(err, errP12Password) {
			return p.wrongPassphrase("")
		}
	}
	var pe *p12Error
	if errors.As(err, &pe) {
		return pe.toFormat(p)
	}
	if err != nil {
		return p.formatErr("PKCS#12 file cannot be read", err)
	}
	for _, k := range keys {
		if err := p.addKey(k); err != nil {
			return err
		}
	}
	p.bundle.Certs = append(p.bundle.Certs, certs...)
	return nil
}

// p12Error carries a decoding failure until parseP12 knows the file name.
type p12Error struct {
	reason string
	err    error
}

func (e *p12Error) Error() string { return e.reason }

func (e *p12Error) toFormat(p *parser) error { return p.formatErr(e.reason, e.err) }

// decodeP12 reads a PKCS#12 file with go-pkcs12, whose entry points each
// accept one shape: DecodeChain one key with its certificates, DecodeTrustStore
// a Java trust store, ToPEM exactly two safes (several keys). What none
// accepts, a certificates-only file as `openssl pkcs12 -export -nokeys`
// writes, is read by certsOnlyP12 once DecodeChain has checked the MAC.
func decodeP12(der []byte, pw string) ([]any, []*x509.Certificate, error) {
	key, leaf, cas, err := pkcs12.DecodeChain(der, pw)
	if err == nil {
		return []any{key}, append([]*x509.Certificate{leaf}, cas...), nil
	}
	if errors.Is(err, pkcs12.ErrIncorrectPassword) || errors.Is(err, pkcs12.ErrDecryption) {
		return nil, nil, errP12Password
	}
	chainErr := err
	if certs, err := pkcs12.DecodeTrustStore(der, pw); err == nil {
		return nil, certs, nil
	}
	//nolint:staticcheck // ToPEM is deprecated for its PEM labels; only the DER inside is used
	if blocks, err := pkcs12.ToPEM(der, pw); err == nil {
		var keys []any
		var certs []*x509.Certificate
		for _, b := range blocks {
			switch b.Type {
			case "CERTIFICATE":
				c, err := x509.ParseCertificate(b.Bytes)
				if err != nil {
					return nil, nil, &p12Error{"PKCS#12 certificate is malformed", err}
				}
				certs = append(certs, c)
			case "PRIVATE KEY":
				k, err := parseClearKey(b.Bytes)
				if err != nil {
					return nil, nil, &p12Error{"PKCS#12 private key is malformed", err}
				}
				keys = append(keys, k)
			}
		}
		return keys, certs, nil
	}
	if strings.Contains(chainErr.Error(), "private key missing") {
		certs, err := certsOnlyP12(der, pw)
		if err != nil {
			return nil, nil, &p12Error{"PKCS#12 file holds certificates but no key, and they cannot be read: " + err.Error() +
				"; convert it with `openssl pkcs12 -in FILE -nokeys -out certs.pem` (add -legacy for old files) and import certs.pem", nil}
		}
		return nil, certs, nil
	}
	var ni pkcs12.NotImplementedError
	if errors.As(chainErr, &ni) {
		return nil, nil, &p12Error{"PKCS#12 file uses a feature this reader does not support; convert it with `openssl pkcs12 -in FILE -out all.pem` and import all.pem", chainErr}
	}
	return nil, nil, &p12Error{"PKCS#12 file is malformed", chainErr}
}

// certsOnlyP12 reads the certificate bags of a PKCS#12 file with no key.
// Only plain and PBES2 (AES-CBC) safes are opened: that is what OpenSSL 3
// writes by default; the legacy RC2 cipher is not worth carrying for this.
func certsOnlyP12(der []byte, pw string) ([]*x509.Certificate, error) {
	var pfx pfxPDU
	if _, err := asn1.Unmarshal(der, &pfx); err != nil {
		return nil, err
	}
	cis, err := authSafe(&pfx)
	if err != nil {
		return nil, err
	}
	var certs []*x509.Certificate
	for _, ci := range cis {
		var plain []byte
		switch {
		case ci.ContentType.Equal(oidData):
			if _, err := asn1.Unmarshal(ci.Content.Bytes, &plain); err != nil {
				return nil, err
			}
		case ci.ContentType.Equal(oidEncryptedData):
			var ed encryptedData
			if _, err := asn1.Unmarshal(ci.Content.Bytes, &ed); err != nil {
				return nil, err
			}
			if plain, err = decryptPBES2(ed.EncryptedContentInfo.Algorithm, ed.EncryptedContentInfo.EncryptedContent, pw); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("safe of content type %s is not supported", ci.ContentType)
		}
		var bags []safeBag
		if _, err := asn1.Unmarshal(plain, &bags); err != nil {
			return nil, fmt.Errorf("safe contents are malformed: %w", err)
		}
		for _, bag := range bags {
			if !bag.ID.Equal(oidCertBag) {
				continue
			}
			var cb certBag
			if _, err := asn1.Unmarshal(bag.Value.Bytes, &cb); err != nil {
				return nil, fmt.Errorf("certificate bag is malformed: %w", err)
			}
			if !cb.ID.Equal(oidX509Certificate) {
				continue
			}
			c, err := x509.ParseCertificate(cb.Data)
			if err != nil {
				return nil, err
			}
			certs = append(certs, c)
		}
	}
	if len(certs) == 0 {
		return nil, errors.New("no certificates found")
	}
	return certs, nil
}

// decryptPBES2 opens PBES2 (PBKDF2 + AES-CBC) content. The PKCS#12 MAC was
// already verified by the caller, so a padding error here is damage.
func decryptPBES2(alg pkix.AlgorithmIdentifier, data []byte, pw string) ([]byte, error) {
	if !alg.Algorithm.Equal(oidPBES2) {
		return nil, fmt.Errorf("cipher %s is not supported (only PBES2)", alg.Algorithm)
	}
	var pp pbes2Params
	if _, err := asn1.Unmarshal(alg.Parameters.FullBytes, &pp); err != nil {
		return nil, err
	}
	if !pp.KDF.Algorithm.Equal(oidPBKDF2) {
		return nil, fmt.Errorf("key derivation %s is not supported", pp.KDF.Algorithm)
	}
	var kp pbkdf2Params
	if _, err := asn1.Unmarshal(pp.KDF.Parameters.FullBytes, &kp); err != nil {
		return nil, err
	}
	if err := checkIterations(kp.Iter); err != nil {
		return nil, err
	}
	var prf func() hash.Hash
	switch {
	case len(kp.PRF.Algorithm) == 0, kp.PRF.Algorithm.Equal(oidHMACSHA1):
		prf = sha1.New
	case kp.PRF.Algorithm.Equal(oidHMACSHA256):
		prf = sha256.New
	case kp.PRF.Algorithm.Equal(oidHMACSHA512):
		prf = sha512.New
	default:
		return nil, fmt.Errorf("PBKDF2 PRF %s is not supported", kp.PRF.Algorithm)
	}
	var keyLen int
	switch {
	case pp.Enc.Algorithm.Equal(oidAES128CBC):
		keyLen = 16
	case pp.Enc.Algorithm.Equal(oidAES192CBC):
		keyLen = 24
	case pp.Enc.Algorithm.Equal(oidAES256CBC):
		keyLen = 32
	default:
		return nil, fmt.Errorf("cipher %s is not supported", pp.Enc.Algorithm)
	}
	var iv []byte
	if _, err := asn1.Unmarshal(pp.Enc.Parameters.FullBytes, &iv); err != nil || len(iv) != aes.BlockSize {
		return nil, errors.New("AES IV is malformed")
	}
	if len(data) == 0 || len(data)%aes.BlockSize != 0 {
		return nil, errors.New("ciphertext is not a whole number of blocks")
	}
	key, err := pbkdf2.Key(prf, pw, kp.Salt.Bytes, kp.Iter, keyLen)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(data))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(out, data)
	pad := int(out[len(out)-1])
	if pad == 0 || pad > aes.BlockSize {
		return nil, errors.New("bad padding")
	}
	for _, b := range out[len(out)-pad:] {
		if int(b) != pad {
			return nil, errors.New("bad padding")
		}
	}
	return out[:len(out)-pad], nil
}
