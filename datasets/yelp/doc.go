// Package yelp reads the Yelp review sentences used by Shen et al.'s style-transfer and
// text-autoencoder papers: one lower-cased, space-tokenised sentence per line.
//
// Sentiment labels come from the public file names: sentiment.{dev,test}.{0,1} (0
// negative, 1 positive) and sentiment/{100,1000}.{neg,pos}. valid.txt, test.txt and the
// tense/ and interpolate/ files carry no sentiment label (Label is NoLabel).
//
// It also provides the tokeniser for typed queries (same conventions as the corpus) and
// the vocabulary (the N most frequent words plus <pad> <go> <eos> <unk> <blank>) with
// save and load.
package yelp
