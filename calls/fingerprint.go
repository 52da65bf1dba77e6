package calls

import (
	"crypto/x509"
	"fmt"
	"strings"

	"github.com/pion/dtls/v3/pkg/crypto/fingerprint"
	"github.com/pion/sdp/v3"
)

// remoteFingerprint is one a=fingerprint of the peer's SDP.
type remoteFingerprint struct{ algorithm, value string }

// sdpFingerprints returns the a=fingerprint attributes of an SDP, session
// and media level.
func sdpFingerprints(raw string) ([]remoteFingerprint, error) {
	var d sdp.SessionDescription
	if err := d.UnmarshalString(raw); err != nil {
		return nil, fmt.Errorf("parse sdp: %w", err)
	}
	var out []remoteFingerprint
	add := func(attrs []sdp.Attribute) {
		for _, a := range attrs {
			if a.Key != "fingerprint" {
				continue
			}
			alg, val, ok := strings.Cut(strings.TrimSpace(a.Value), " ")
			if ok {
				out = append(out, remoteFingerprint{algorithm: alg, value: strings.TrimSpace(val)})
			}
		}
	}
	add(d.Attributes)
	for _, md := range d.MediaDescriptions {
		add(md.Attributes)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("sdp has no a=fingerprint")
	}
	return out, nil
}

// checkFingerprint reports ErrFingerprintMismatch unless the DER
// certificate matches one of the fingerprints. pion makes the same check
// during the handshake; this one tells why a handshake failed and guards
// against the check ever being switched off.
func checkFingerprint(der []byte, fps []remoteFingerprint) error {
	if len(der) == 0 {
		return fmt.Errorf("no remote certificate")
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return fmt.Errorf("remote certificate: %w", err)
	}
	for _, fp := range fps {
		h, err := fingerprint.HashFromString(fp.algorithm)
		if err != nil {
			continue
		}
		v, err := fingerprint.Fingerprint(cert, h)
		if err == nil && strings.EqualFold(v, fp.value) {
			return nil
		}
	}
	return ErrFingerprintMismatch
}

// sdpUfrag returns the first a=ice-ufrag of an SDP (with bundle there is one).
func sdpUfrag(raw string) string {
	for _, line := range strings.Split(raw, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "a=ice-ufrag:"); ok {
			return v
		}
	}
	return ""
}
