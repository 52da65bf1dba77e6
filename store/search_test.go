package store

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"
)

func TestNormalizeWords(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"l'arbre", []string{"l", "arbre"}},
		{"Élan ÉLAN élan elan", []string{"elan", "elan", "elan", "elan"}},
		{"Straße", []string{"strasse"}},
		{"ﬁne Ｆｕｌｌ", []string{"fine", "full"}},
		{"naïve café, crème-brûlée!", []string{"naive", "cafe", "creme", "brulee"}},
		{"ΣΊΣΥΦΟΣ σίσυφος", []string{"σισυφοσ", "σισυφοσ"}},
		{"  ", nil},
		{"x1 2024", []string{"x1", "2024"}},
	} {
		got := normalizeWords(tc.in)
		if !reflect.DeepEqual(got, tc.want) && len(got)+len(tc.want) != 0 {
			t.Errorf("normalizeWords(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := indexTerms("arbre", nil); !reflect.DeepEqual(got, []string{"arb", "arbr", "arbre"}) {
		t.Errorf("indexTerms(arbre) = %q", got)
	}
	if got := indexTerms("de", nil); !reflect.DeepEqual(got, []string{"de"}) {
		t.Errorf("indexTerms(de) = %q", got)
	}
	if got := indexTerms("l", nil); len(got) != 0 {
		t.Errorf("indexTerms(l) = %q", got)
	}
}

func searchBodies(t *testing.T, p *Profile, q SearchQuery) []string {
	t.Helper()
	res, err := p.Search(context.Background(), q)
	if err != nil {
		t.Fatalf("Search(%+v): %v", q, err)
	}
	var out []string
	for _, m := range res.Messages {
		out = append(out, m.Body)
	}
	return out
}

func TestSearch(t *testing.T) {
	ctx := context.Background()
	clk := newTestClock()
	p, _ := newProfile(t, Options{Now: clk.Now, manualExpiry: true}) // it counts what the purge removes
	_, c1 := newConversation(t, p, "@one")
	_, c2 := newConversation(t, p, "@two")
	base := clk.Now()
	at := func(i int) time.Time { return base.Add(time.Duration(i) * time.Minute) }
	ids := map[string]MessageID{}
	for i, b := range []struct {
		conv ConversationID
		body string
	}{
		{c1, "Sous l'arbre, un élan"},
		{c2, "ELAN vital et arbres"},
		{c1, "rien à voir"},
		{c2, "Die Straße ist lang"},
		{c1, "ok"},
	} {
		ids[b.body] = mustInsert(t, p, Message{Conversation: b.conv, Direction: Outgoing, Body: b.body, SentAt: at(i)})
	}
	check := func(q SearchQuery, want ...string) {
		t.Helper()
		got := searchBodies(t, p, q)
		if !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Errorf("Search(%+v) = %q, want %q", q, got, want)
		}
	}
	// Diacritics and case, newest first.
	check(SearchQuery{Text: "elan"}, "ELAN vital et arbres", "Sous l'arbre, un élan")
	check(SearchQuery{Text: "Élan"}, "ELAN vital et arbres", "Sous l'arbre, un élan")
	check(SearchQuery{Text: "arbre"}, "ELAN vital et arbres", "Sous l'arbre, un élan")
	// Prefix search from 3 characters; shorter words match whole words only.
	check(SearchQuery{Text: "arb"}, "ELAN vital et arbres", "Sous l'arbre, un élan")
	check(SearchQuery{Text: "ar"})
	check(SearchQuery{Text: "ok"}, "ok")
	check(SearchQuery{Text: "strasse"}, "Die Straße ist lang")
	// Every word must match.
	check(SearchQuery{Text: "arbre vital"}, "ELAN vital et arbres")
	check(SearchQuery{Text: "arbre absent"})
	// Per-conversation filter.
	check(SearchQuery{Text: "elan", Conversation: c1}, "Sous l'arbre, un élan")
	// Paging.
	res, err := p.Search(ctx, SearchQuery{Text: "elan", Limit: 1})
	if err != nil || len(res.Messages) != 1 || !res.More || res.Messages[0].Body != "ELAN vital et arbres" {
		t.Fatalf("page 1: %+v %v", res, err)
	}
	res, err = p.Search(ctx, SearchQuery{Text: "elan", Limit: 1, Offset: 1})
	if err != nil || len(res.Messages) != 1 || res.More || res.Messages[0].Body != "Sous l'arbre, un élan" {
		t.Fatalf("page 2: %+v %v", res, err)
	}
	// Edits: old words disappear from the index, new ones appear.
	if err := p.EditMessage(ctx, ids["rien à voir"], "tout à revoir"); err != nil {
		t.Fatal(err)
	}
	check(SearchQuery{Text: "rien"})
	check(SearchQuery{Text: "revoir"}, "tout à revoir")
	// Deletes.
	if err := p.DeleteMessage(ctx, ids["Die Straße ist lang"]); err != nil {
		t.Fatal(err)
	}
	check(SearchQuery{Text: "strasse"})
	// Expiry: hidden once expired, and the purge removes its tokens.
	if err := p.SetExpiry(ctx, ids["ok"], clk.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	check(SearchQuery{Text: "ok"}, "ok")
	clk.Add(2 * time.Hour)
	check(SearchQuery{Text: "ok"})
	if n, err := p.PurgeExpired(ctx); err != nil || n != 1 {
		t.Fatalf("purge: %d %v", n, err)
	}
	var left int
	if err := p.db.QueryRow(`SELECT count(*) FROM search_index WHERE message_id IN (?, ?, ?)`,
		int64(ids["ok"]), int64(ids["Die Straße ist lang"]), int64(ids["rien à voir"])).Scan(&left); err != nil {
		t.Fatal(err)
	}
	// "tout à revoir" still has its own tokens; the others none.
	var want int
	for range searchTokens(p.keys, "tout à revoir") {
		want++
	}
	if left != want {
		t.Fatalf("index rows left for deleted/expired/edited messages: %d, want %d", left, want)
	}
	// Nothing searchable.
	check(SearchQuery{Text: "a ' !"})
}

func TestSearchIndexHoldsNoWords(t *testing.T) {
	p, _ := newProfile(t, Options{})
	_, conv := newConversation(t, p, "@x")
	mustInsert(t, p, Message{Conversation: conv, Body: "secretword"})
	rows, err := p.db.Query(`SELECT typeof(token) FROM search_index`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var ty string
		rows.Scan(&ty)
		if ty != "integer" {
			t.Fatalf("token stored as %s", ty)
		}
		n++
	}
	if n != len(indexTerms("secretword", nil)) {
		t.Fatalf("%d tokens", n)
	}
	if fmt.Sprint(searchToken(p.keys, "sec")) == fmt.Sprint(searchToken(newColumnKeys(make([]byte, 32)), "sec")) {
		t.Fatal("token does not depend on the key")
	}
}
