package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// searchToken is the blind index value of an indexed term: the first 8
// bytes of HMAC-SHA256 under the search key. The file holds only these
// tokens, never a word; equal words do give equal tokens (see docs/STORE.md).
func searchToken(k *columnKeys, term string) int64 {
	m := hmac.New(sha256.New, k.macs[macSearch])
	m.Write([]byte(term))
	var sum [sha256.Size]byte
	return int64(binary.BigEndian.Uint64(m.Sum(sum[:0])))
}

// searchTokens returns the distinct tokens to index for a message body.
func searchTokens(k *columnKeys, body string) []int64 {
	var terms []string
	for _, w := range normalizeWords(body) {
		terms = indexTerms(w, terms)
	}
	seen := make(map[string]struct{}, len(terms))
	toks := make([]int64, 0, len(terms))
	m := hmac.New(sha256.New, k.macs[macSearch])
	var sum [sha256.Size]byte
	for _, t := range terms {
		if _, ok := seen[t]; ok {
			continue
		}
		seen[t] = struct{}{}
		m.Reset()
		m.Write([]byte(t))
		toks = append(toks, int64(binary.BigEndian.Uint64(m.Sum(sum[:0]))))
	}
	return toks
}

// Tokens are inserted tokenBatch rows per statement (then one by one), so
// the statements have fixed shapes and stay prepared.
const tokenBatch = 16

var insertTokensBatchSQL = func() string {
	q := `INSERT OR IGNORE INTO search_index(token, sent_at, message_id, conversation_id) VALUES (?,?,?,?)`
	for i := 1; i < tokenBatch; i++ {
		q += `,(?,?,?,?)`
	}
	return q
}()

func insertTokens(ctx context.Context, tx queryer, toks []int64, msg, conv, sentAt int64) error {
	args := make([]any, 0, 4*tokenBatch)
	for len(toks) >= tokenBatch {
		args = args[:0]
		for _, t := range toks[:tokenBatch] {
			args = append(args, t, sentAt, msg, conv)
		}
		if _, err := tx.ExecContext(ctx, insertTokensBatchSQL, args...); err != nil {
			return fmt.Errorf("index message %d: %w", msg, err)
		}
		toks = toks[tokenBatch:]
	}
	for _, t := range toks {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO search_index(token, sent_at, message_id, conversation_id) VALUES (?,?,?,?)`,
			t, sentAt, msg, conv); err != nil {
			return fmt.Errorf("index message %d: %w", msg, err)
		}
	}
	return nil
}

func deleteTokens(ctx context.Context, tx queryer, toks []int64, msg, sentAt int64) error {
	for _, t := range toks {
		if _, err := tx.ExecContext(ctx, `DELETE FROM search_index WHERE token = ? AND sent_at = ? AND message_id = ?`, t, sentAt, msg); err != nil {
			return fmt.Errorf("unindex message %d: %w", msg, err)
		}
	}
	return nil
}

// SearchQuery asks for messages containing every word of Text.
type SearchQuery struct {
	// Text is matched word by word after normalisation (case folding,
	// accents removed). A word of 3 or more characters also matches longer
	// words it is a prefix of; 2-character words match whole words only;
	// 1-character words are ignored.
	Text string
	// Conversation restricts the search to one conversation when non-zero.
	Conversation ConversationID
	// Limit is the page size (default 20, at most 500); Offset skips that
	// many results of the ranking.
	Limit, Offset int
}

// SearchResult is one page of results, most recent first.
type SearchResult struct {
	Messages []Message
	// More is true when results exist beyond this page.
	More bool
}

// Search finds messages through the blind index, most recent first.
func (p *Profile) Search(ctx context.Context, q SearchQuery) (SearchResult, error) {
	if err := p.check(); err != nil {
		return SearchResult{}, err
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 20
	}
	if limit > 500 {
		limit = 500
	}
	offset := max(q.Offset, 0)

	seen := map[string]bool{}
	var terms []string
	for _, w := range normalizeWords(q.Text) {
		if t := queryTerm(w); t != "" && !seen[t] {
			seen[t] = true
			terms = append(terms, t)
		}
	}
	if len(terms) == 0 {
		return SearchResult{}, nil
	}
	toks := make([]int64, len(terms))
	for i, t := range terms {
		toks[i] = searchToken(p.keys, t)
	}
	if len(toks) > 1 {
		// The rarest term drives the ordered scan; the others are checked by
		// primary-key lookups. Counting is capped, so this costs at most a
		// short index scan per term.
		counts := make(map[int64]int, len(toks))
		for _, t := range toks {
			var n int
			if err := p.stmts.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM search_index WHERE token = ? LIMIT 5000)`, t).Scan(&n); err != nil {
				return SearchResult{}, fmt.Errorf("search: %w", err)
			}
			if n == 0 {
				return SearchResult{}, nil // a term nothing contains: no match
			}
			counts[t] = n
		}
		sort.SliceStable(toks, func(i, j int) bool { return counts[toks[i]] < counts[toks[j]] })
	}

	var sb strings.Builder
	args := []any{toks[0]}
	sb.WriteString(`SELECT s.message_id FROM search_index s JOIN messages m ON m.id = s.message_id WHERE s.token = ?`)
	if q.Conversation != 0 {
		sb.WriteString(` AND s.conversation_id = ?`)
		args = append(args, int64(q.Conversation))
	}
	sb.WriteString(` AND (m.expires_at IS NULL OR m.expires_at > ?)`)
	args = append(args, p.now().UnixMilli())
	for _, t := range toks[1:] {
		sb.WriteString(` AND EXISTS (SELECT 1 FROM search_index x WHERE x.token = ? AND x.sent_at = s.sent_at AND x.message_id = s.message_id)`)
		args = append(args, t)
	}
	sb.WriteString(` ORDER BY s.sent_at DESC, s.message_id DESC LIMIT ? OFFSET ?`)
	args = append(args, limit+1, offset)

	rows, err := p.stmts.QueryContext(ctx, sb.String(), args...)
	if err != nil {
		return SearchResult{}, fmt.Errorf("search: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return SearchResult{}, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return SearchResult{}, fmt.Errorf("search: %w", err)
	}
	var res SearchResult
	if len(ids) > limit {
		res.More = true
		ids = ids[:limit]
	}
	for _, id := range ids {
		m, err := p.Message(ctx, MessageID(id))
		if errors.Is(err, ErrNotFound) {
			continue // deleted or expired since the query ran
		}
		if err != nil {
			return SearchResult{}, fmt.Errorf("search: %w", err)
		}
		res.Messages = append(res.Messages, m)
	}
	return res, nil
}
