package certfile

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/youmark/pkcs8"
)

// Bounds on what an encrypted file may ask of the key derivation. Files are
// untrusted, and the iteration count is whatever the file says: without a
// ceiling a crafted file with 2^31 iterations hangs the import (age caps
// scrypt for the same reason, FiloSottile/age scrypt.go). OpenSSL writes 2048
// iterations, our own exports 600000; ten million is seconds of CPU at most.
// Tests and fuzzing lower them.
var (
	maxKDFIterations = 10_000_000
	// scrypt needs 128·r·N bytes of memory.
	maxScryptMemory = 256 << 20
)

var (
	oidPBES2  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBMAC1 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 14}
	oidPBKDF2 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidScrypt = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11591, 4, 11}
	// PKCS#5 v1.5 (1.2.840.113549.1.5.x except 12-14) and PKCS#12 PBE
	// (1.2.840.113549.1.12.1.x) share this parameter shape.
	oidPKCS5    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5}
	oidPKCS12PB = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1}

	oidHMACSHA1   = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 7}
	oidHMACSHA256 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}

	oidAES128CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2}
	oidAES192CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 22}
	oidAES256CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
	oidDESEDE3CBC = asn1.ObjectIdentifier{1, 2, 840, 113549, 3, 7}
)

type pbes2Params struct {
	KDF pkix.AlgorithmIdentifier
	Enc pkix.AlgorithmIdentifier
}

type pbkdf2Params struct {
	Salt      asn1.RawValue
	Iter      int
	KeyLength int                      `asn1:"optional"`
	PRF       pkix.AlgorithmIdentifier `asn1:"optional"`
}

type scryptParams struct {
	Salt      []byte
	N         int
	R         int
	P         int
	KeyLength int `asn1:"optional"`
}

type pbeParams struct {
	Salt []byte
	Iter int
}

type encryptedKeyInfo struct {
	Alg  pkix.AlgorithmIdentifier
	Data []byte
}

func hasPrefix(oid, prefix asn1.ObjectIdentifier) bool {
	return len(oid) > len(prefix) && oid[:len(prefix)].Equal(prefix)
}

// checkIterations refuses counts that are invalid or would take too long.
func checkIterations(n int) error {
	if n < 1 {
		return fmt.Errorf("key derivation iteration count %d is invalid", n)
	}
	if n > maxKDFIterations {
		return fmt.Errorf("key derivation asks for %d iterations, over the limit of %d; re-export the file with fewer iterations", n, maxKDFIterations)
	}
	return nil
}

// checkKDF bounds the cost of a PBES2 or PBMAC1 key derivation function.
func checkKDF(kdf pkix.AlgorithmIdentifier) error {
	switch {
	case kdf.Algorithm.Equal(oidPBKDF2):
		var kp pbkdf2Params
		if _, err := asn1.Unmarshal(kdf.Parameters.FullBytes, &kp); err != nil {
			return fmt.Errorf("PBKDF2 parameters are malformed: %w", err)
		}
		return checkIterations(kp.Iter)
	case kdf.Algorithm.Equal(oidScrypt):
		var sp scryptParams
		if _, err := asn1.Unmarshal(kdf.Parameters.FullBytes, &sp); err != nil {
			return fmt.Errorf("scrypt parameters are malformed: %w", err)
		}
		if sp.N < 2 || sp.N&(sp.N-1) != 0 || sp.R < 1 || sp.P < 1 || sp.R > 64 || sp.P > 64 {
			return fmt.Errorf("scrypt parameters N=%d r=%d p=%d are invalid", sp.N, sp.R, sp.P)
		}
		if mem := 128 * uint64(sp.R) * uint64(sp.N); mem > uint64(maxScryptMemory) || sp.N > 1<<30 {
			return fmt.Errorf("scrypt parameters N=%d r=%d would need %d MiB, over the limit of %d MiB", sp.N, sp.R, mem>>20, maxScryptMemory>>20)
		}
		if uint64(sp.N)*uint64(sp.R)*uint64(sp.P) > uint64(maxKDFIterations)*8 {
			return fmt.Errorf("scrypt parameters N=%d r=%d p=%d are too costly to open", sp.N, sp.R, sp.P)
		}
	}
	return nil
}

// checkAlgorithmCost bounds the cost of any password-based encryption or MAC
// algorithm identifier found in a PKCS#8 or PKCS#12 structure. Algorithms it
// does not know are left to the decoder, which refuses them.
func checkAlgorithmCost(alg pkix.AlgorithmIdentifier) error {
	switch {
	case alg.Algorithm.Equal(oidPBES2), alg.Algorithm.Equal(oidPBMAC1):
		// PBES2 and PBMAC1 parameters both start with the KDF.
		var pp pbes2Params
		if _, err := asn1.Unmarshal(alg.Parameters.FullBytes, &pp); err != nil {
			return fmt.Errorf("PBES2 parameters are malformed: %w", err)
		}
		return checkKDF(pp.KDF)
	case hasPrefix(alg.Algorithm, oidPKCS12PB), hasPrefix(alg.Algorithm, oidPKCS5):
		var pp pbeParams
		if _, err := asn1.Unmarshal(alg.Parameters.FullBytes, &pp); err != nil {
			return fmt.Errorf("PBE parameters are malformed: %w", err)
		}
		return checkIterations(pp.Iter)
	}
	return nil
}

// encryptedPKCS8 decrypts an EncryptedPrivateKeyInfo (PEM "ENCRYPTED PRIVATE
// KEY" or DER). Everything youmark/pkcs8 would choke on is checked first: it
// panics on an IV or ciphertext of the wrong length, does not check padding,
// and runs whatever KDF cost the file asks for. After those checks, any
// failure to decrypt means a wrong passphrase.
func (p *parser) encryptedPKCS8(der []byte, where string) (any, error) {
	var info encryptedKeyInfo
	if _, err := asn1.Unmarshal(der, &info); err != nil {
		return nil, p.formatErr(where+" is malformed", err)
	}
	reencrypt := "; re-encrypt it with `openssl pkcs8 -topk8 -v2 aes-256-cbc -in FILE -out new.pem`"
	if !info.Alg.Algorithm.Equal(oidPBES2) {
		return nil, p.formatErr(fmt.Sprintf("%s uses encryption %s; only PBES2 is supported%s", where, info.Alg.Algorithm, reencrypt), nil)
	}
	var pp pbes2Params
	if _, err := asn1.Unmarshal(info.Alg.Parameters.FullBytes, &pp); err != nil {
		return nil, p.formatErr(where+" has malformed PBES2 parameters", err)
	}
	switch {
	case pp.KDF.Algorithm.Equal(oidPBKDF2):
		var kp pbkdf2Params
		if _, err := asn1.Unmarshal(pp.KDF.Parameters.FullBytes, &kp); err != nil {
			return nil, p.formatErr(where+" has malformed PBKDF2 parameters", err)
		}
		if kp.Salt.Class != asn1.ClassUniversal || kp.Salt.Tag != asn1.TagOctetString {
			return nil, p.formatErr(where+" has a PBKDF2 salt that is not an OCTET STRING", nil)
		}
		if prf := kp.PRF.Algorithm; len(prf) != 0 && !prf.Equal(oidHMACSHA1) && !prf.Equal(oidHMACSHA256) {
			return nil, p.formatErr(fmt.Sprintf("%s uses PBKDF2 with PRF %s; only HMAC-SHA1 and HMAC-SHA256 are supported%s", where, prf, reencrypt), nil)
		}
	case pp.KDF.Algorithm.Equal(oidScrypt):
	default:
		return nil, p.formatErr(fmt.Sprintf("%s uses key derivation %s; only PBKDF2 and scrypt are supported%s", where, pp.KDF.Algorithm, reencrypt), nil)
	}
	if err := checkKDF(pp.KDF); err != nil {
		return nil, p.formatErr(where+" cannot be opened safely", err)
	}
	blockSize := 16
	switch {
	case pp.Enc.Algorithm.Equal(oidAES128CBC), pp.Enc.Algorithm.Equal(oidAES192CBC), pp.Enc.Algorithm.Equal(oidAES256CBC):
	case pp.Enc.Algorithm.Equal(oidDESEDE3CBC):
		blockSize = 8
	default:
		return nil, p.formatErr(fmt.Sprintf("%s uses cipher %s; only AES-CBC and 3DES-CBC are supported%s", where, pp.Enc.Algorithm, reencrypt), nil)
	}
	var iv []byte
	if _, err := asn1.Unmarshal(pp.Enc.Parameters.FullBytes, &iv); err != nil || len(iv) != blockSize {
		return nil, p.formatErr(fmt.Sprintf("%s has an IV that is not %d bytes", where, blockSize), err)
	}
	if len(info.Data) == 0 || len(info.Data)%blockSize != 0 {
		return nil, p.formatErr(fmt.Sprintf("%s has %d bytes of ciphertext, not a whole number of %d-byte blocks: the key is damaged", where, len(info.Data), blockSize), nil)
	}
	pw, err := p.pass.get()
	if err != nil {
		return nil, err
	}
	key, err := pkcs8.ParsePKCS8PrivateKey(der, pw)
	if err != nil {
		// youmark/pkcs8's errors are not typed; every structural problem was
		// ruled out above, so a failure here is the passphrase.
		return nil, p.wrongPassphrase("")
	}
	return key, nil
}

// legacyDecrypt opens an OpenSSL "traditional" encrypted key (Proc-Type:
// 4,ENCRYPTED with DEK-Info). x509.DecryptPEMBlock is deprecated because the
// format is weak (one MD5 round of key derivation, no integrity check); it is
// the right call here all the same, because people still have such files and
// we only read them to move the key into the workspace. We never write them.
func (p *parser) legacyDecrypt(block *pem.Block, where string) ([]byte, error) {
	pw, err := p.pass.get()
	if err != nil {
		return nil, err
	}
	der, err := x509.DecryptPEMBlock(block, pw) //nolint:staticcheck // see above
	if errors.Is(err, x509.IncorrectPasswordError) {
		return nil, p.wrongPassphrase("")
	}
	if err != nil {
		return nil, p.formatErr(where+" has an unusable legacy encryption header", err)
	}
	return der, nil
}
