#!/usr/bin/env bash
# Writes FuzzParse's seed corpus (tlsengine/certfile/testdata/fuzz/FuzzParse)
# from files real openssl makes: the formats Go's own encoders cannot produce
# (RC2-40 legacy PKCS#12, `openssl x509 -text` output, Proc-Type encrypted
# PEM, PKCS#7). Low iteration counts keep each fuzz execution cheap; the
# passphrase is the fuzz target's ("fuzz-pass").
set -euo pipefail
cd "$(dirname "$0")/.."
out=tlsengine/certfile/testdata/fuzz/FuzzParse
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout key.pem -out cert.pem \
	-subj "/CN=fuzz seed" -days 3650 2>/dev/null
openssl x509 -in cert.pem -text -out cert-text.pem
openssl x509 -in cert.pem -outform DER -out cert.der
openssl pkcs12 -export -legacy -in cert.pem -inkey key.pem -out legacy.p12 -passout pass:fuzz-pass -iter 8 -maciter
openssl pkcs12 -export -in cert.pem -inkey key.pem -out modern.p12 -passout pass:fuzz-pass -iter 8 -maciter
openssl ec -in key.pem -aes256 -passout pass:fuzz-pass -out key-legacy-enc.pem 2>/dev/null
openssl pkcs8 -topk8 -v2 aes-256-cbc -iter 8 -in key.pem -passout pass:fuzz-pass -out key-pkcs8-enc.pem
openssl crl2pkcs7 -nocrl -certfile cert.pem -out bundle.p7b
cd - >/dev/null
mkdir -p "$out"
python3 - "$work" "$out" <<'PY'
import os, sys
work, out = sys.argv[1], sys.argv[2]
def golit(b):
    s = []
    for c in b:
        ch = chr(c)
        if ch == '"' or ch == '\\':
            s.append('\\' + ch)
        elif 0x20 <= c < 0x7f:
            s.append(ch)
        elif ch == '\n':
            s.append('\\n')
        else:
            s.append('\\x%02x' % c)
    return '"' + ''.join(s) + '"'
for name in ["cert-text.pem", "cert.der", "legacy.p12", "modern.p12", "key-legacy-enc.pem", "key-pkcs8-enc.pem", "bundle.p7b"]:
    data = open(os.path.join(work, name), "rb").read()
    with open(os.path.join(out, "openssl-" + name.replace(".", "-")), "w") as f:
        f.write("go test fuzz v1\n[]byte(" + golit(data) + ")\n")
PY
echo "wrote $(ls "$out" | wc -l) seeds to $out"
