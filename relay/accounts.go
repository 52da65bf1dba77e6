package relay

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/sotto-im/sotto/crypto/keys"
	"github.com/sotto-im/sotto/handle"
	"github.com/sotto-im/sotto/kt"
	"github.com/sotto-im/sotto/relay/api"
	"github.com/sotto-im/sotto/relay/store"
)

func (s *Server) newChallenge(ctx context.Context, purpose store.ChallengePurpose, dev api.Addr) (store.Challenge, error) {
	c := store.Challenge{Purpose: purpose, Device: dev, Expires: s.cfg.Now().Add(s.cfg.ChallengeTTL).Truncate(time.Millisecond)}
	_, _ = rand.Read(c.Value[:])
	return c, s.st.PutChallenge(ctx, c)
}

func (s *Server) handleRegisterChallenge(w http.ResponseWriter, r *http.Request) {
	// Challenges are cheap and single-use: they share the auth bucket, so
	// the registration bucket counts registration attempts only.
	if err := s.limit(s.lim.auth, clientIP(r)); err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.newChallenge(r.Context(), store.PurposeRegister, api.Addr{})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, api.RegisterChallenge{Challenge: c.Value[:], Pow: s.cfg.Pow, Expires: c.Expires})
}

// verifyPrekeys parses and verifies each prekey against cert and sorts it
// into its store slot.
func verifyPrekeys(raw [][]byte, cert keys.DeviceCertificate, now time.Time) ([]store.Prekey, error) {
	if len(raw) > api.MaxPrekeysPerBatch {
		return nil, api.Errorf(api.CodeTooLarge, "more than %d prekeys", api.MaxPrekeysPerBatch)
	}
	out := make([]store.Prekey, 0, len(raw))
	for i, b := range raw {
		if len(b) > api.MaxPrekey {
			return nil, api.Errorf(api.CodeTooLarge, "prekey %d over %d bytes", i, api.MaxPrekey)
		}
		p, err := keys.ParseSignedPrekey(b)
		if err != nil {
			return nil, api.Errorf(api.CodeBadRequest, "prekey %d: malformed", i)
		}
		if err := p.Verify(cert, now); err != nil {
			return nil, api.Errorf(api.CodeBadSignature, "prekey %d does not verify: %s", i, reason(err))
		}
		var kind store.PrekeyKind
		switch p.Type {
		case keys.PrekeySignedX25519:
			kind = store.PrekeySigned
		case keys.PrekeyLastResortMLKEM:
			kind = store.PrekeyLastResort
		case keys.PrekeyOneTimeX25519:
			kind = store.PrekeyOneTime
		case keys.PrekeyOneTimeMLKEM:
			kind = store.PrekeyOneTimePQ
		default:
			return nil, api.Errorf(api.CodeBadRequest, "prekey %d: unknown type", i)
		}
		out = append(out, store.Prekey{Kind: kind, ID: uint32(p.ID), Data: b})
	}
	return out, nil
}

// reason names a crypto verification failure without echoing data.
func reason(err error) string {
	for _, e := range []error{keys.ErrExpired, keys.ErrUnsigned, keys.ErrBadSignature, keys.ErrWrongType, keys.ErrWrongSigner, keys.ErrInvalidKey, keys.ErrInvalidID} {
		if errors.Is(err, e) {
			return strings.TrimPrefix(e.Error(), "keys: ")
		}
	}
	return "invalid"
}

func (s *Server) handleRegister(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := s.limit(s.lim.register, clientIP(r)); err != nil {
		s.fail(w, r, err)
		return
	}
	var req api.RegisterRequest
	if err := api.DecodeJSON(r.Body, api.MaxJSONBody, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	now := s.cfg.Now()
	h, err := handle.Parse(req.Handle)
	if err != nil {
		s.writeError(w, api.Errorf(api.CodeHandleInvalid, "%s", strings.TrimPrefix(err.Error(), "handle: ")))
		return
	}
	if s.reserved[h.SkeletonHash()] {
		s.writeError(w, api.Errorf(api.CodeHandleReserved, "this handle is reserved"))
		return
	}
	if len(req.Challenge) != api.ChallengeSize {
		s.writeError(w, api.Errorf(api.CodeChallengeInvalid, "challenge must be %d bytes", api.ChallengeSize))
		return
	}
	if len(req.IdentityKey) > api.MaxKey || len(req.DeviceCertificate) > api.MaxCertificate {
		s.writeError(w, api.Errorf(api.CodeTooLarge, "key or certificate too large"))
		return
	}
	ik, err := keys.ParseIdentityPublicKey(req.IdentityKey)
	if err != nil {
		s.writeError(w, api.Errorf(api.CodeBadRequest, "malformed identity key"))
		return
	}
	cert, err := keys.ParseDeviceCertificate(req.DeviceCertificate)
	if err != nil {
		s.writeError(w, api.Errorf(api.CodeBadRequest, "malformed device certificate"))
		return
	}
	if err := cert.Verify(now); err != nil {
		s.writeError(w, api.Errorf(api.CodeBadSignature, "device certificate does not verify: %s", reason(err)))
		return
	}
	if !cert.Identity.Equal(ik) {
		s.writeError(w, api.Errorf(api.CodeBadSignature, "device certificate is for another identity"))
		return
	}
	prekeys, err := verifyPrekeys(req.Prekeys, cert, now)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var signed, lastResort int
	for _, p := range prekeys {
		switch p.Kind {
		case store.PrekeySigned:
			signed++
		case store.PrekeyLastResort:
			lastResort++
		}
	}
	if signed != 1 || lastResort != 1 {
		s.writeError(w, api.Errorf(api.CodeBadRequest, "registration needs exactly one signed prekey and one last-resort prekey"))
		return
	}
	var tokenHash []byte
	if req.DeliveryToken != nil {
		if len(req.DeliveryToken) != api.DeliveryTokenSize {
			s.writeError(w, api.Errorf(api.CodeBadRequest, "delivery token must be %d bytes", api.DeliveryTokenSize))
			return
		}
		sum := sha256.Sum256(req.DeliveryToken)
		tokenHash = sum[:]
	}
	// The challenge is consumed before the (expensive) proof of work is
	// checked: a failed attempt needs a fresh challenge.
	if _, err := s.st.TakeChallenge(ctx, req.Challenge, store.PurposeRegister, now); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			s.writeError(w, api.Errorf(api.CodeChallengeInvalid, "unknown, used or expired challenge"))
			return
		}
		s.fail(w, r, err)
		return
	}
	if !api.PowOK(s.cfg.Pow, req.Challenge, h.Hash(), req.Nonce) {
		s.writeError(w, api.Errorf(api.CodePowInvalid, "proof of work does not meet %d bits", s.cfg.Pow.Bits))
		return
	}
	addr := api.AddrFromKey(cert.SigningKey.Bytes())
	err = s.st.CreateAccount(ctx,
		store.Account{HandleHash: h.Hash(), SkeletonHash: h.SkeletonHash(), IdentityKey: ik.Bytes(), Created: now},
		store.Device{Addr: addr, Certificate: req.DeviceCertificate, DeliveryTokenHash: tokenHash, Created: now},
		prekeys)
	switch {
	case errors.Is(err, store.ErrHandleTaken):
		s.writeError(w, api.Errorf(api.CodeHandleTaken, "handle already registered"))
		return
	case errors.Is(err, store.ErrConfusable):
		s.writeError(w, api.Errorf(api.CodeHandleConfusable, "handle looks like a registered one"))
		return
	case errors.Is(err, store.ErrDeviceExists):
		s.writeError(w, api.Errorf(api.CodeDeviceExists, "device key already registered"))
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	s.metrics.registrations.Add(1)
	// The log entry follows the account's commit; if this fails (or the
	// relay crashes in between), the next lookup appends it.
	if _, _, err := s.kt.ensureBinding(ctx, h.Hash(), kt.Binding{IdentityKey: ik.Bytes(), DeviceCertificates: [][]byte{cert.Marshal()}}); err != nil {
		s.log.Warn("transparency log entry deferred to the first lookup", "err", err)
	}
	s.writeJSON(w, http.StatusOK, api.RegisterResponse{Device: addr, HandleHash: h.Hash()})
}

func (s *Server) handleAuthChallenge(w http.ResponseWriter, r *http.Request) {
	if err := s.limit(s.lim.auth, clientIP(r)); err != nil {
		s.fail(w, r, err)
		return
	}
	var req api.AuthChallengeRequest
	if err := api.DecodeJSON(r.Body, 4<<10, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.newChallenge(r.Context(), store.PurposeAuth, req.Device)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, api.AuthChallenge{Challenge: c.Value[:], Expires: c.Expires})
}

func (s *Server) handleAuthToken(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := s.limit(s.lim.auth, clientIP(r)); err != nil {
		s.fail(w, r, err)
		return
	}
	var req api.AuthTokenRequest
	if err := api.DecodeJSON(r.Body, 4<<10, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if len(req.Challenge) != api.ChallengeSize || len(req.Signature) != api.SignatureSize {
		s.writeError(w, api.Errorf(api.CodeBadRequest, "challenge must be %d bytes and signature %d", api.ChallengeSize, api.SignatureSize))
		return
	}
	now := s.cfg.Now()
	c, err := s.st.TakeChallenge(ctx, req.Challenge, store.PurposeAuth, now)
	if errors.Is(err, store.ErrNotFound) || err == nil && c.Device != req.Device {
		s.writeError(w, api.Errorf(api.CodeChallengeInvalid, "unknown, used or expired challenge"))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d, err := s.st.Device(ctx, req.Device)
	if errors.Is(err, store.ErrNotFound) {
		s.writeError(w, api.Errorf(api.CodeBadSignature, "signature does not verify"))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cert, err := keys.ParseDeviceCertificate(d.Certificate)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !cert.SigningKey.Verify(api.AuthContext, api.AuthMessage(req.Challenge, req.Device), req.Signature) {
		s.writeError(w, api.Errorf(api.CodeBadSignature, "signature does not verify"))
		return
	}
	if err := cert.Verify(now); err != nil {
		s.writeError(w, api.Errorf(api.CodeBadSignature, "device certificate no longer valid: %s", reason(err)))
		return
	}
	exp := now.Add(s.cfg.TokenTTL).Truncate(time.Second)
	s.writeJSON(w, http.StatusOK, api.AuthToken{Token: s.issueToken(req.Device, exp), Expires: exp})
}

// Tokens: "v1." + base64url(addr ‖ expiry unix seconds ‖ HMAC-SHA256[:16]).
// Stateless, so any node sharing the store's token key accepts them.
const tokenPrefix = "v1."

func (s *Server) tokenMAC(body []byte) []byte {
	m := hmac.New(sha256.New, s.tokenKey)
	m.Write([]byte("sotto-relay-token-v1"))
	m.Write(body)
	return m.Sum(nil)[:16]
}

func (s *Server) issueToken(addr api.Addr, exp time.Time) string {
	b := make([]byte, 0, 16+8+16)
	b = append(b, addr[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(exp.Unix()))
	b = append(b, s.tokenMAC(b)...)
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// checkToken validates a bearer token and returns the device it names.
func (s *Server) checkToken(tok string) (api.Addr, *api.Error) {
	if !strings.HasPrefix(tok, tokenPrefix) || len(tok) > 128 {
		return api.Addr{}, api.Errorf(api.CodeUnauthorized, "malformed token")
	}
	b, err := base64.RawURLEncoding.DecodeString(tok[len(tokenPrefix):])
	if err != nil || len(b) != 40 {
		return api.Addr{}, api.Errorf(api.CodeUnauthorized, "malformed token")
	}
	if subtle.ConstantTimeCompare(s.tokenMAC(b[:24]), b[24:]) != 1 {
		return api.Addr{}, api.Errorf(api.CodeUnauthorized, "invalid token")
	}
	if exp := int64(binary.BigEndian.Uint64(b[16:24])); s.cfg.Now().Unix() >= exp {
		return api.Addr{}, api.Errorf(api.CodeTokenExpired, "token expired; authenticate again")
	}
	var a api.Addr
	copy(a[:], b[:16])
	return a, nil
}

// bearer returns the token of an Authorization header and whether the
// header is present at all ("" for a header that is not "Bearer …").
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", false
	}
	tok, _ := strings.CutPrefix(h, "Bearer ")
	return tok, true
}

type authedHandler func(w http.ResponseWriter, r *http.Request, dev api.Addr)

func (s *Server) authed(h authedHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, present := bearer(r)
		if !present {
			s.writeError(w, api.Errorf(api.CodeUnauthorized, "missing bearer token"))
			return
		}
		dev, e := s.checkToken(tok)
		if e != nil {
			s.writeError(w, e)
			return
		}
		h(w, r, dev)
	}
}

func (s *Server) handleLookup(w http.ResponseWriter, r *http.Request, dev api.Addr) {
	ctx := r.Context()
	pa, err := s.provenAccount(r, dev, true)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	resp := api.LookupResponse{HandleHash: pa.hash, IdentityKey: pa.account.IdentityKey, Transparency: pa.proof.Marshal()}
	for _, d := range pa.devices {
		b, err := s.bundle(ctx, d)
		if err != nil {
			s.log.Warn("skipping device without a valid bundle", "err", err)
			continue
		}
		resp.Devices = append(resp.Devices, api.DeviceBundle{Device: d.Addr, Bundle: b})
	}
	s.metrics.lookups.Add(1)
	s.writeJSON(w, http.StatusOK, resp)
}

// provenAccount is what a lookup and a transparency binding request share:
// the handle hash in the path, an account with its devices, and the log's
// proof for that binding.
type provenAccount struct {
	hash    handle.Hash
	account store.Account
	devices []store.Device
	proof   kt.LookupProof
}

// provenAccount reads the handle hash from r's path, applies the requester's
// lookup limit (and the target handle's when limitTarget), and loads the
// account and its transparency proof. Errors are for s.fail.
func (s *Server) provenAccount(r *http.Request, dev api.Addr, limitTarget bool) (provenAccount, error) {
	ctx := r.Context()
	hh, err := handle.ParseHash(r.PathValue("hash"))
	if err != nil {
		return provenAccount{}, api.Errorf(api.CodeBadRequest, "handle hash must be 64 hex characters")
	}
	if err := s.limit(s.lim.lookupDev, string(dev[:])); err != nil {
		return provenAccount{}, err
	}
	if limitTarget {
		if err := s.limit(s.lim.lookupTarget, string(hh[:])); err != nil {
			return provenAccount{}, err
		}
	}
	a, devices, err := s.st.Account(ctx, hh)
	if errors.Is(err, store.ErrNotFound) {
		return provenAccount{}, api.Errorf(api.CodeNotFound, "unknown handle")
	}
	if err != nil {
		return provenAccount{}, err
	}
	b, err := bindingOf(a, devices)
	if err != nil {
		return provenAccount{}, err
	}
	proof, err := s.kt.lookupProof(ctx, hh, b)
	if err != nil {
		return provenAccount{}, err
	}
	return provenAccount{hash: hh, account: a, devices: devices, proof: proof}, nil
}

// bundle takes one-time prekeys (atomically, each once) and assembles a
// crypto/keys Bundle for d.
func (s *Server) bundle(ctx context.Context, d store.Device) ([]byte, error) {
	cert, err := keys.ParseDeviceCertificate(d.Certificate)
	if err != nil {
		return nil, err
	}
	p, err := s.st.TakePrekeys(ctx, d.Addr)
	if err != nil {
		return nil, err
	}
	b := keys.Bundle{Device: cert}
	if b.SignedPrekey, err = keys.ParseSignedPrekey(p.Signed); err != nil {
		return nil, err
	}
	if b.LastResortPQ, err = keys.ParseSignedPrekey(p.LastResort); err != nil {
		return nil, err
	}
	if p.OneTime != nil {
		ot, err := keys.ParseSignedPrekey(p.OneTime)
		if err != nil {
			return nil, err
		}
		b.OneTimePrekey = &ot
	}
	if p.OneTimePQ != nil {
		ot, err := keys.ParseSignedPrekey(p.OneTimePQ)
		if err != nil {
			return nil, err
		}
		b.OneTimePQ = &ot
	}
	return b.Marshal(), nil
}

func (s *Server) deviceCert(ctx context.Context, dev api.Addr) (keys.DeviceCertificate, error) {
	d, err := s.st.Device(ctx, dev)
	if errors.Is(err, store.ErrNotFound) {
		return keys.DeviceCertificate{}, api.Errorf(api.CodeUnauthorized, "device no longer registered")
	}
	if err != nil {
		return keys.DeviceCertificate{}, err
	}
	return keys.ParseDeviceCertificate(d.Certificate)
}

func (s *Server) handlePrekeys(w http.ResponseWriter, r *http.Request, dev api.Addr) {
	ctx := r.Context()
	if err := s.limit(s.lim.prekeys, string(dev[:])); err != nil {
		s.fail(w, r, err)
		return
	}
	var req api.PrekeyUpload
	if err := api.DecodeJSON(r.Body, api.MaxJSONBody, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	cert, err := s.deviceCert(ctx, dev)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	prekeys, err := verifyPrekeys(req.Prekeys, cert, s.cfg.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.st.PutPrekeys(ctx, dev, prekeys); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handlePrekeyCount(w http.ResponseWriter, r *http.Request, dev api.Addr) {
	c, err := s.st.CountPrekeys(r.Context(), dev)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, api.PrekeyCount{OneTime: c.OneTime, OneTimePQ: c.OneTimePQ})
}

func (s *Server) handleDeliveryToken(w http.ResponseWriter, r *http.Request, dev api.Addr) {
	var req api.DeliveryTokenRequest
	if err := api.DecodeJSON(r.Body, 4<<10, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if len(req.Token) != api.DeliveryTokenSize {
		s.writeError(w, api.Errorf(api.CodeBadRequest, "delivery token must be %d bytes", api.DeliveryTokenSize))
		return
	}
	sum := sha256.Sum256(req.Token)
	if err := s.st.SetDeliveryToken(r.Context(), dev, sum[:]); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			err = api.Errorf(api.CodeUnauthorized, "device no longer registered")
		}
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleSenderCertificate(w http.ResponseWriter, r *http.Request, dev api.Addr) {
	cert, err := s.deviceCert(r.Context(), dev)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	exp := s.cfg.Now().Add(s.cfg.SenderCertTTL).Truncate(time.Second)
	sc, err := keys.IssueSenderCertificate(s.relayKey, cert.Identity, cert.Device, exp, rand.Reader)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, api.SenderCertificate{Certificate: sc.Marshal(), Expires: exp})
}

// handleAvailability is GET /v1/availability?handle={hash}&skeleton={hash}:
// whether the handle is taken or reserved, for live feedback while someone
// types one. The client sends hashes, not the handle; rate limited per IP.
func (s *Server) handleAvailability(w http.ResponseWriter, r *http.Request) {
	if err := s.limit(s.lim.availability, clientIP(r)); err != nil {
		s.fail(w, r, err)
		return
	}
	h, err := handle.ParseHash(r.URL.Query().Get("handle"))
	if err != nil {
		s.writeError(w, api.Errorf(api.CodeBadRequest, "handle must be a 64-character hex hash"))
		return
	}
	sk, err := handle.ParseHash(r.URL.Query().Get("skeleton"))
	if err != nil {
		s.writeError(w, api.Errorf(api.CodeBadRequest, "skeleton must be a 64-character hex hash"))
		return
	}
	if s.reserved[sk] {
		s.writeJSON(w, http.StatusOK, api.Availability{Reason: "reserved"})
		return
	}
	_, _, err = s.st.Account(r.Context(), h)
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.writeJSON(w, http.StatusOK, api.Availability{Available: true})
	case err != nil:
		s.fail(w, r, err)
	default:
		s.writeJSON(w, http.StatusOK, api.Availability{Reason: "taken"})
	}
}
