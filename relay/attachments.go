package relay

import (
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/sotto-im/sotto/relay/api"
	"github.com/sotto-im/sotto/relay/store"
)

// handleUpload stores an opaque (client-encrypted) blob under a random id.
func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request, dev api.Addr) {
	if err := s.limit(s.lim.blobs, string(dev[:])); err != nil {
		s.fail(w, r, err)
		return
	}
	if r.ContentLength > s.cfg.MaxAttachment {
		s.writeError(w, api.Errorf(api.CodeTooLarge, "attachment over %d bytes", s.cfg.MaxAttachment))
		return
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, s.cfg.MaxAttachment+1))
	if err != nil {
		s.writeError(w, api.Errorf(api.CodeBadRequest, "reading body failed"))
		return
	}
	if int64(len(data)) > s.cfg.MaxAttachment {
		s.writeError(w, api.Errorf(api.CodeTooLarge, "attachment over %d bytes", s.cfg.MaxAttachment))
		return
	}
	if len(data) == 0 {
		s.writeError(w, api.Errorf(api.CodeBadRequest, "empty attachment"))
		return
	}
	var id api.BlobID
	_, _ = rand.Read(id[:])
	exp := s.cfg.Now().Add(s.cfg.AttachmentTTL)
	if err := s.st.PutBlob(r.Context(), store.Blob{ID: id, Data: data, Expires: exp}); err != nil {
		s.fail(w, r, err)
		return
	}
	s.metrics.blobsUp.Add(1)
	s.writeJSON(w, http.StatusOK, api.AttachmentResponse{ID: id.String(), Expires: exp})
}

func (s *Server) handleDownload(w http.ResponseWriter, r *http.Request, dev api.Addr) {
	id, err := api.ParseBlobID(r.PathValue("id"))
	if err != nil {
		s.writeError(w, api.Errorf(api.CodeBadRequest, "attachment id must be 32 hex characters"))
		return
	}
	b, err := s.st.GetBlob(r.Context(), id, s.cfg.Now())
	if errors.Is(err, store.ErrNotFound) {
		s.writeError(w, api.Errorf(api.CodeNotFound, "unknown or expired attachment"))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.metrics.blobsDown.Add(1)
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(b.Data)))
	_, _ = w.Write(b.Data)
}
