package tlsengine

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"reflect"
)

// AlertFromError returns the number of the TLS alert the peer sent, when err
// carries one.
//
// crypto/tls documents tls.AlertError only for QUIC; over TCP a received
// alert arrives as &net.OpError{Op: "remote error", Err: alert(n)} where alert
// is an unexported uint8 type (src/crypto/tls/conn.go, golang/go#35234). So
// the number is recovered by reflection, after trying AlertError first in
// case a later Go version starts using it. Alerts we sent ourselves
// ("local error") are not reported.
func AlertFromError(err error) (uint8, bool) {
	var ae tls.AlertError
	if errors.As(err, &ae) {
		return uint8(ae), true
	}
	for err != nil {
		var oe *net.OpError
		if !errors.As(err, &oe) {
			return 0, false
		}
		if oe.Op == "remote error" && oe.Err != nil {
			if v := reflect.ValueOf(oe.Err); v.Kind() == reflect.Uint8 {
				return uint8(v.Uint()), true
			}
		}
		err = oe.Err
	}
	return 0, false
}

// alertNames are the TLS alert descriptions of RFC 8446 6 and RFC 5246 7.2.
var alertNames = map[uint8]string{
	0:   "close_notify",
	10:  "unexpected_message",
	20:  "bad_record_mac",
	21:  "decryption_failed",
	22:  "record_overflow",
	30:  "decompression_failure",
	40:  "handshake_failure",
	41:  "no_certificate",
	42:  "bad_certificate",
	43:  "unsupported_certificate",
	44:  "certificate_revoked",
	45:  "certificate_expired",
	46:  "certificate_unknown",
	47:  "illegal_parameter",
	48:  "unknown_ca",
	49:  "access_denied",
	50:  "decode_error",
	51:  "decrypt_error",
	60:  "export_restriction",
	70:  "protocol_version",
	71:  "insufficient_security",
	80:  "internal_error",
	86:  "inappropriate_fallback",
	90:  "user_canceled",
	100: "no_renegotiation",
	109: "missing_extension",
	110: "unsupported_extension",
	111: "certificate_unobtainable",
	112: "unrecognized_name",
	113: "bad_certificate_status_response",
	114: "bad_certificate_hash_value",
	115: "unknown_psk_identity",
	116: "certificate_required",
	120: "no_application_protocol",
}

// AlertName returns the RFC name of a TLS alert ("unknown_ca"), or
// "alert_N" for a number no RFC defines.
func AlertName(n uint8) string {
	if s, ok := alertNames[n]; ok {
		return s
	}
	return fmt.Sprintf("alert_%d", n)
}
