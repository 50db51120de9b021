package textae

import (
	"math/rand/v2"
)

// Noise corrupts a DAAE's encoder input with the configured noises, in the paper's order:
// shuffle, word drop, blank, substitute. Other kinds, and a configuration without noise,
// get ids back unchanged.
func (c Config) Noise(ids []int32, r *rand.Rand) []int32 {
	if c.Kind != "daae" {
		return ids
	}
	if c.Shuffle > 0 {
		ids = Shuffle(ids, c.Shuffle, r)
	}
	if c.WordDrop > 0 {
		ids = WordDrop(ids, c.WordDrop, r)
	}
	if c.Blank > 0 {
		ids = Blank(ids, c.Blank, r)
	}
	if c.Substitute > 0 {
		ids = Substitute(ids, c.Substitute, c.VocabSize(), r)
	}
	return ids
}

// WordDrop removes each word with probability p (keeping at least one), the denoising
// noise of the DAAE.
func WordDrop(ids []int32, p float64, r *rand.Rand) []int32 {
	out := make([]int32, 0, len(ids))
	for _, id := range ids {
		if r.Float64() >= p {
			out = append(out, id)
		}
	}
	if len(out) == 0 && len(ids) > 0 {
		out = append(out, ids[r.IntN(len(ids))])
	}
	return out
}

// Blank replaces each word with <blank> with probability p.
func Blank(ids []int32, p float64, r *rand.Rand) []int32 {
	out := append([]int32(nil), ids...)
	for i := range out {
		if r.Float64() < p {
			out[i] = BlankID
		}
	}
	return out
}

// Substitute replaces each word with a random vocabulary word with probability p.
func Substitute(ids []int32, p float64, vocab int, r *rand.Rand) []int32 {
	out := append([]int32(nil), ids...)
	first := int(BlankID) + 1
	for i := range out {
		if r.Float64() < p && vocab > first {
			out[i] = int32(first + r.IntN(vocab-first))
		}
	}
	return out
}

// Shuffle moves words by at most k positions (a local shuffle: sort by index + U(0,k+1)).
func Shuffle(ids []int32, k float64, r *rand.Rand) []int32 {
	type kv struct {
		key float64
		id  int32
	}
	tmp := make([]kv, len(ids))
	for i, id := range ids {
		tmp[i] = kv{float64(i) + r.Float64()*(k+1), id}
	}
	// insertion sort: sentences are short
	for i := 1; i < len(tmp); i++ {
		for j := i; j > 0 && tmp[j].key < tmp[j-1].key; j-- {
			tmp[j], tmp[j-1] = tmp[j-1], tmp[j]
		}
	}
	out := make([]int32, len(ids))
	for i, t := range tmp {
		out[i] = t.id
	}
	return out
}
