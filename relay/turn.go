package relay

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sotto-im/sotto/relay/api"
)

// TURNPassword is coturn's REST-API credential: base64(HMAC-SHA1(secret,
// username)), where username is "expiry-unix-seconds:id".
func TURNPassword(secret []byte, username string) string {
	m := hmac.New(sha1.New, secret)
	m.Write([]byte(username))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// TURNCredentials makes a credential valid until exp. The id part is
// random: TURN servers see no account or device identifier.
func TURNCredentials(secret []byte, exp time.Time) (username, password string) {
	var id [8]byte
	_, _ = rand.Read(id[:])
	username = fmt.Sprintf("%d:%s", exp.Unix(), hex.EncodeToString(id[:]))
	return username, TURNPassword(secret, username)
}

// TURNUsernameValid reports whether a REST-API username has not expired.
func TURNUsernameValid(username string, now time.Time) bool {
	ts, _, ok := strings.Cut(username, ":")
	if !ok {
		return false
	}
	exp, err := strconv.ParseInt(ts, 10, 64)
	return err == nil && now.Unix() < exp
}

func (s *Server) handleTURN(w http.ResponseWriter, r *http.Request, dev api.Addr) {
	if len(s.cfg.TURN.Secret) == 0 || len(s.cfg.TURN.URLs) == 0 {
		s.writeError(w, api.Errorf(api.CodeUnavailable, "this relay offers no TURN service"))
		return
	}
	if err := s.limit(s.lim.turn, string(dev[:])); err != nil {
		s.fail(w, r, err)
		return
	}
	u, p := TURNCredentials(s.cfg.TURN.Secret, s.cfg.Now().Add(s.cfg.TURN.TTL))
	s.metrics.turnCreds.Add(1)
	s.writeJSON(w, http.StatusOK, api.TURNCredentials{URLs: s.cfg.TURN.URLs, Username: u, Password: p, TTL: int(s.cfg.TURN.TTL / time.Second)})
}
