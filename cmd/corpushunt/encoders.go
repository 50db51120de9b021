package main

import (
	"fmt"

	"github.com/corpushunt/corpushunt/datasets/cifar10"
	"github.com/corpushunt/corpushunt/simsearch/index"
	"github.com/corpushunt/corpushunt/simsearch/ingest"
	"github.com/corpushunt/corpushunt/simsearch/pixels"
)

// imageEncoder returns the encoder named on the command line.
func imageEncoder(name string, downsample int) (ingest.ImageEncoder, error) {
	switch name {
	case pixels.Name:
		return pixels.New(cifar10.Height, cifar10.Width, cifar10.Channels, downsample)
	}
	return nil, fmt.Errorf("unknown encoder %q (available: pixels)", name)
}

// encoderForIndex rebuilds the encoder recorded in an index manifest, so queries are
// encoded exactly like the corpus.
func encoderForIndex(ix *index.Index) (ingest.ImageEncoder, error) {
	info := ix.Encoder()
	switch info.Name {
	case pixels.Name:
		return pixels.FromInfo(info, cifar10.Height, cifar10.Width, cifar10.Channels)
	}
	return nil, fmt.Errorf("index was built with encoder %q, which takes no images here", info.Name)
}
