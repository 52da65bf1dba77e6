package relay

import (
	"crypto/ed25519"
	"errors"
	"net/http"
	"strconv"

	"github.com/sotto-im/sotto/kt"
	"github.com/sotto-im/sotto/relay/api"
	"github.com/sotto-im/sotto/relay/store"
)

// The key-transparency endpoints. Everything but a binding's proof is
// public: the log holds VRF indexes and commitments, no handles or keys.

func (s *Server) handleKTKeys(w http.ResponseWriter, r *http.Request) {
	out := api.KTKeys{LogKey: s.kt.logKey.Public().(ed25519.PublicKey), VRFKey: s.kt.vrfKey.Public().Bytes()}
	for _, k := range s.kt.witnesses {
		out.Witnesses = append(out.Witnesses, k)
	}
	s.writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleKTHead(w http.ResponseWriter, r *http.Request) {
	h, err := s.kt.head(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, api.KTTreeHead{TreeHead: h.Marshal()})
}

// sizeParam parses a non-negative integer query parameter.
func sizeParam(r *http.Request, name string) (uint64, *api.Error) {
	v, err := strconv.ParseUint(r.URL.Query().Get(name), 10, 63)
	if err != nil {
		return 0, api.Errorf(api.CodeBadRequest, "%s must be a tree size", name)
	}
	return v, nil
}

// latestSize is the size of the latest head; proofs are only served up to
// it, so nobody can make the relay prove a size it never signed.
func (s *Server) latestSize(r *http.Request) (uint64, error) {
	h, err := s.kt.head(r.Context())
	return h.Size, err
}

func (s *Server) handleKTConsistency(w http.ResponseWriter, r *http.Request) {
	from, e := sizeParam(r, "from")
	if e != nil {
		s.writeError(w, e)
		return
	}
	to, e := sizeParam(r, "to")
	if e != nil {
		s.writeError(w, e)
		return
	}
	latest, err := s.latestSize(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if from > to || to > latest {
		s.writeError(w, api.Errorf(api.CodeBadRequest, "sizes must satisfy from ≤ to ≤ the latest tree head's size"))
		return
	}
	p, err := s.kt.consistency(r.Context(), from, to)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, api.KTProof{Proof: p.Marshal()})
}

func (s *Server) handleKTBinding(w http.ResponseWriter, r *http.Request, dev api.Addr) {
	pa, err := s.provenAccount(r, dev, false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, api.KTProof{Proof: pa.proof.Marshal()})
}

func (s *Server) handleKTEntries(w http.ResponseWriter, r *http.Request) {
	start, e := sizeParam(r, "start")
	if e != nil {
		s.writeError(w, e)
		return
	}
	limit := api.MaxKTEntriesPage
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			s.writeError(w, api.Errorf(api.CodeBadRequest, "limit must be a positive number"))
			return
		}
		limit = min(n, api.MaxKTEntriesPage)
	}
	leaves, err := s.st.Leaves(r.Context(), start, limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := api.KTEntries{Start: start, Entries: make([][]byte, len(leaves))}
	for i, l := range leaves {
		out.Entries[i] = l.Data
	}
	s.writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleKTRange(w http.ResponseWriter, r *http.Request) {
	end, e := sizeParam(r, "end")
	if e != nil {
		s.writeError(w, e)
		return
	}
	latest, err := s.latestSize(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if end > latest {
		s.writeError(w, api.Errorf(api.CodeBadRequest, "end beyond the latest tree head"))
		return
	}
	hs, err := s.kt.rangeHashes(r.Context(), end)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := api.KTRange{End: end, Hashes: make([][]byte, len(hs))}
	for i := range hs {
		out.Hashes[i] = hs[i][:]
	}
	s.writeJSON(w, http.StatusOK, out)
}

// handleKTCosign stores a co-signature from a configured witness of a head
// this relay signed.
func (s *Server) handleKTCosign(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := s.limit(s.lim.auth, clientIP(r)); err != nil {
		s.fail(w, r, err)
		return
	}
	var req api.KTCosign
	if err := api.DecodeJSON(r.Body, 4<<10, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := kt.ParseCosignature(req.Cosignature)
	if err != nil {
		s.writeError(w, api.Errorf(api.CodeBadRequest, "malformed co-signature"))
		return
	}
	known := false
	for _, k := range s.kt.witnesses {
		known = known || string(k) == string(c.Witness[:])
	}
	if !known {
		s.writeError(w, api.Errorf(api.CodeBadSignature, "not a witness of this relay"))
		return
	}
	stored, err := s.st.TreeHeadAt(ctx, req.Size)
	if errors.Is(err, store.ErrNotFound) {
		s.writeError(w, api.Errorf(api.CodeNotFound, "no tree head of that size"))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h, err := decodeHead(stored)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := h.VerifyCosignature(s.kt.logKey.Public().(ed25519.PublicKey), c); err != nil {
		s.writeError(w, api.Errorf(api.CodeBadSignature, "co-signature does not verify"))
		return
	}
	if err := s.st.AddCosignature(ctx, req.Size, c.Witness[:], c.Marshal()); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
