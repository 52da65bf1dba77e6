package store

import (
	"strings"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

const (
	// minWordRunes: shorter words are neither indexed nor searched.
	minWordRunes = 2
	// minPrefixRunes: words of at least this many runes are also found by
	// any prefix of at least this many runes.
	minPrefixRunes = 3
	// maxIndexRunes: longer words are indexed (and queried) by their first
	// maxIndexRunes runes.
	maxIndexRunes = 24
)

// normalizeWords splits s into search words: Unicode case folding, then
// compatibility decomposition (NFKD) with the combining marks removed, so
// "Élan", "ELAN" and "élan" all give "elan" and "ﬁ" gives "fi". Anything that
// is not a letter or a digit separates words, so "l'arbre" gives "l" and
// "arbre".
func normalizeWords(s string) []string {
	folded := norm.NFKD.String(cases.Fold().String(s))
	var b strings.Builder
	b.Grow(len(folded))
	for _, r := range folded {
		switch {
		case unicode.Is(unicode.Mn, r):
			// Drop combining marks (accents, diaeresis, cedilla...).
		case unicode.IsLetter(r) || unicode.IsNumber(r):
			b.WriteRune(r)
		default:
			b.WriteByte(' ')
		}
	}
	return strings.Fields(b.String())
}

// indexTerms returns the strings indexed for one word: the word itself if it
// is short, else each of its prefixes of minPrefixRunes..maxIndexRunes runes.
func indexTerms(word string, out []string) []string {
	r := []rune(word)
	if len(r) < minWordRunes {
		return out
	}
	if len(r) < minPrefixRunes {
		return append(out, word)
	}
	if len(r) > maxIndexRunes {
		r = r[:maxIndexRunes]
	}
	for n := minPrefixRunes; n <= len(r); n++ {
		out = append(out, string(r[:n]))
	}
	return out
}

// queryTerm is the indexed string a query word is looked up by ("" if the
// word is too short to search for).
func queryTerm(word string) string {
	r := []rune(word)
	if len(r) < minWordRunes {
		return ""
	}
	if len(r) > maxIndexRunes {
		r = r[:maxIndexRunes]
	}
	return string(r)
}
