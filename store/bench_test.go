package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// benchVocabulary is a deterministic vocabulary of pseudo-words; message
// words are drawn from it with a Zipf distribution, like natural text.
var benchVocabulary = func() []string {
	syl := []string{"ba", "ce", "di", "fo", "gu", "la", "me", "ni", "po", "ru", "sa", "te", "vi", "zo", "ké", "lé", "mar", "tin", "son", "bel"}
	r := rand.New(rand.NewPCG(1, 2))
	seen := map[string]bool{}
	var out []string
	for len(out) < 5000 {
		n := 1 + r.IntN(4)
		var b strings.Builder
		for range n {
			b.WriteString(syl[r.IntN(len(syl))])
		}
		if w := b.String(); !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}()

type benchText struct {
	r    *rand.Rand
	zipf *rand.Zipf
}

func newBenchText(seed uint64) *benchText {
	r := rand.New(rand.NewPCG(seed, seed+1))
	return &benchText{r: r, zipf: rand.NewZipf(r, 1.1, 2, uint64(len(benchVocabulary)-1))}
}

// message returns a body of 4–16 words.
func (t *benchText) message() string {
	n := 4 + t.r.IntN(13)
	w := make([]string, n)
	for i := range w {
		w[i] = benchVocabulary[t.zipf.Uint64()]
	}
	return strings.Join(w, " ")
}

const (
	bench100k      = 100_000
	benchConvs     = 100
	benchDirEnvVar = "SOTTO_BENCH_PROFILE" // reuse a built profile between runs
)

var (
	bigOnce sync.Once
	bigDir  string
	bigKR   = newMemKeyring()
	bigErr  error
	bigConv []ConversationID
)

// bigProfile builds (once per process) a keyring-protected profile with
// 100,000 messages in 100 conversations spread over three years.
func bigProfile(b *testing.B) (string, []ConversationID) {
	bigOnce.Do(func() {
		ctx := context.Background()
		root, err := os.MkdirTemp("", "sotto-store-bench-")
		if err != nil {
			bigErr = err
			return
		}
		bigDir = filepath.Join(root, "profile")
		start := time.Now()
		p, err := Create(ctx, bigDir, []byte("bench-identity"), Options{Protection: ProtectionKeyring, keyring: bigKR})
		if err != nil {
			bigErr = err
			return
		}
		defer p.Close()
		for i := 0; i < benchConvs; i++ {
			c, err := p.AddContact(ctx, Contact{Handle: fmt.Sprintf("@contact%03d", i), IdentityKey: []byte("ik")})
			if err != nil {
				bigErr = err
				return
			}
			conv, err := p.EnsureConversation(ctx, c)
			if err != nil {
				bigErr = err
				return
			}
			bigConv = append(bigConv, conv.ID)
		}
		// A small conversation: searching it for a common word must not
		// cost a scan of the whole index.
		small, err := p.AddContact(ctx, Contact{Handle: "@small", IdentityKey: []byte("ik")})
		if err != nil {
			bigErr = err
			return
		}
		smallConv, err := p.EnsureConversation(ctx, small)
		if err != nil {
			bigErr = err
			return
		}
		text := newBenchText(7)
		t0 := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
		step := 3 * 365 * 24 * time.Hour / bench100k
		const batch = 1000
		for i := 0; i < bench100k; i += batch {
			ms := make([]Message, batch)
			for j := range ms {
				n := i + j
				ms[j] = Message{Conversation: bigConv[text.r.IntN(benchConvs)], Direction: Direction(1 + n%2),
					Body: text.message(), SentAt: t0.Add(time.Duration(n) * step), RemoteID: []byte(fmt.Sprint("r", n))}
			}
			if _, err := p.InsertMessages(ctx, ms); err != nil {
				bigErr = err
				return
			}
		}
		ms := make([]Message, 20)
		for j := range ms {
			ms[j] = Message{Conversation: smallConv.ID, Body: benchVocabulary[2] + " " + text.message(), SentAt: t0.Add(time.Duration(j) * time.Hour)}
		}
		if _, err := p.InsertMessages(ctx, ms); err != nil {
			bigErr = err
			return
		}
		bigConv = append(bigConv, smallConv.ID)
		if st, err := os.Stat(filepath.Join(bigDir, dbFileName)); err == nil {
			fmt.Fprintf(os.Stderr, "database: %.1f MiB\n", float64(st.Size())/(1<<20))
		}
		fmt.Fprintf(os.Stderr, "built a %d-message profile in %v\n", bench100k, time.Since(start).Round(time.Second))
	})
	if bigErr != nil {
		b.Fatal(bigErr)
	}
	return bigDir, bigConv
}

func reportPercentiles(b *testing.B, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	b.ReportMetric(float64(d[len(d)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(d[len(d)*95/100].Microseconds())/1000, "p95-ms")
}

// BenchmarkStoreInsert measures message inserts with encryption and
// indexing: one message per (fsync'd) transaction, and 100 per transaction.
func BenchmarkStoreInsert(b *testing.B) {
	for _, per := range []int{1, 100} {
		b.Run(fmt.Sprintf("per-tx=%d", per), func(b *testing.B) {
			ctx := context.Background()
			p, _ := newProfile(b, Options{Protection: ProtectionKeyring, keyring: newMemKeyring()})
			_, conv := newConversation(b, p, "@bench")
			text := newBenchText(3)
			bodies := make([]string, 4096)
			for i := range bodies {
				bodies[i] = text.message()
			}
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i += per {
				n := min(per, b.N-i)
				ms := make([]Message, n)
				for j := range ms {
					ms[j] = Message{Conversation: conv, Direction: Incoming, Body: bodies[(i+j)%len(bodies)], RemoteID: []byte(fmt.Sprint(i + j))}
				}
				if _, err := p.InsertMessages(ctx, ms); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
		})
	}
}

// BenchmarkSearch100k runs queries of several shapes over 100,000 messages,
// fetching and decrypting a first page of 20 results.
func BenchmarkSearch100k(b *testing.B) {
	dir, convs := bigProfile(b)
	ctx := context.Background()
	p, err := Open(ctx, dir, Options{keyring: bigKR})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	v := benchVocabulary
	queries := []struct {
		name       string
		q          SearchQuery
		allowEmpty bool
	}{
		{"common-word", SearchQuery{Text: v[2]}, false},
		{"mid-word", SearchQuery{Text: v[200]}, false},
		{"rare-word", SearchQuery{Text: v[4000]}, false},
		{"prefix-3", SearchQuery{Text: string([]rune(longWord(v))[:3])}, false},
		{"two-words", SearchQuery{Text: v[5] + " " + v[300]}, false},
		{"common-in-conversation", SearchQuery{Text: v[2], Conversation: convs[17]}, false},
		{"common-in-small-conversation", SearchQuery{Text: v[2], Conversation: convs[len(convs)-1]}, false},
		{"common-and-rare", SearchQuery{Text: v[1] + " " + v[4500]}, true},
		{"no-match", SearchQuery{Text: "zzzzzz"}, true},
		{"page-10", SearchQuery{Text: v[20], Offset: 200}, false},
	}
	for _, tc := range queries {
		b.Run(tc.name, func(b *testing.B) {
			var d []time.Duration
			hits := 0
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				res, err := p.Search(ctx, tc.q)
				d = append(d, time.Since(t0))
				if err != nil {
					b.Fatal(err)
				}
				hits = len(res.Messages)
			}
			if hits == 0 && !tc.allowEmpty {
				b.Fatalf("query %q found nothing", tc.q.Text)
			}
			reportPercentiles(b, d)
		})
	}
}

func longWord(v []string) string {
	for _, w := range v {
		if len([]rune(w)) >= 6 {
			return w
		}
	}
	return v[0]
}

// BenchmarkOpenProfile measures a cold open (keys from the keyring, schema
// check, expiry purge, orphan sweep, expiry timer start) of a
// 100,000-message profile, plus reading the newest page of a conversation.
func BenchmarkOpenProfile(b *testing.B) {
	dir, convs := bigProfile(b)
	ctx := context.Background()
	var d []time.Duration
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		p, err := Open(ctx, dir, Options{keyring: bigKR})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.Messages(ctx, convs[0], 0, 50); err != nil {
			b.Fatal(err)
		}
		d = append(d, time.Since(t0))
		b.StopTimer()
		p.Close()
		b.StartTimer()
	}
	reportPercentiles(b, d)
}

// BenchmarkPassphraseUnwrap is the Argon2id cost (t=3, 64 MiB) that opening
// a passphrase-protected profile adds to BenchmarkOpenProfile.
func BenchmarkPassphraseUnwrap(b *testing.B) {
	passphraseKDF = realKDF
	defer func() { passphraseKDF = kdfParams{Time: 1, MemoryKiB: 64, Threads: 1} }()
	s := secrets{master: make([]byte, 32), identity: []byte("idk")}
	w, err := wrapWithPassphrase("00", s, testPass)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := w.unwrap("00", testPass); err != nil {
			b.Fatal(err)
		}
	}
}
