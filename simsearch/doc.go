// Package simsearch is corpushunt for notebooks and programs: open a corpus of your own
// (a folder of images, a text, CSV or JSONL file, your vectors), train an encoder on it
// without labels, build a FAISS index, search it by example, look at the results and
// score them by labels. About ten names do it all: Open, Train, Build, Load, Index and
// its Search*, Show and Eval methods.
//
// A folder of photos, from pixels to a trained autoencoder:
//
//	ctx := context.Background()
//	c, _ := simsearch.Open("photos/")                  // labels from subfolders, if any
//	ix, _ := simsearch.Build(ctx, c, "ix-pixels", simsearch.BuildOptions{})
//	hits, _ := ix.SearchImageFile(ctx, "query.jpg", 10) // any size or format
//	ix.Show("like query.jpg", nil, hits)                // a gallery in GoNB
//	model, _ := simsearch.Train(ctx, c, "model", simsearch.TrainOptions{Epochs: 10})
//	ae, _ := simsearch.Build(ctx, c, "ix-ae", simsearch.BuildOptions{Encoder: simsearch.EncoderOptions{Name: model}})
//	rep, _ := ae.Eval(ctx, nil, 500, 1, 10)             // 500 labelled items as queries
//
// A CSV of support tickets, searched by typed text, reopened later:
//
//	c, _ := simsearch.Open("tickets.csv", simsearch.Opt("text-column", "body"), simsearch.Opt("label-column", "team"))
//	ix, _ := simsearch.Build(ctx, c, "ix-tickets", simsearch.BuildOptions{}) // bag of words, cosine
//	ix.Close()
//	ix, _ = simsearch.Load("ix-tickets")                // with its encoder and corpus
//	hits, _ := ix.SearchText(ctx, "printer on floor 3 is jammed again", 10)
//	ix.Show("", "printer on floor 3 is jammed again", hits) // a ranked list, shared words marked
//
// Everything here is built from the packages under simsearch/ (corpus and its sources,
// ingest, index, eval, display, the encoders); use those directly for finer control.
package simsearch
