package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/corpushunt/corpushunt/datasets/cifar10"
	"github.com/corpushunt/corpushunt/simsearch/backend"
	"github.com/corpushunt/corpushunt/simsearch/convae"
	"github.com/corpushunt/corpushunt/simsearch/index"
	"github.com/corpushunt/corpushunt/simsearch/ingest"
	"github.com/corpushunt/corpushunt/simsearch/pixels"
)

// imageEncoder returns the encoder named on the command line: "pixels" or a model
// directory written by `corpushunt train`.
func imageEncoder(name string, downsample int) (ingest.ImageEncoder, error) {
	if name == pixels.Name {
		return pixels.New(cifar10.Height, cifar10.Width, cifar10.Channels, downsample)
	}
	if _, err := os.Stat(filepath.Join(name, convae.MetaFile)); err == nil {
		return loadModel(name)
	}
	return nil, fmt.Errorf("unknown encoder %q: use pixels or a model directory from `corpushunt train`", name)
}

func loadModel(dir string) (*convae.Encoder, error) {
	be, err := backend.New("")
	if err != nil {
		return nil, err
	}
	return convae.LoadEncoder(be, dir)
}

// encoderForIndex rebuilds the encoder recorded in an index manifest, so queries are
// encoded exactly like the corpus.
func encoderForIndex(ix *index.Index) (ingest.ImageEncoder, error) {
	info := ix.Encoder()
	switch info.Name {
	case pixels.Name:
		return pixels.FromInfo(info, cifar10.Height, cifar10.Width, cifar10.Channels)
	case convae.EncoderName:
		return loadModel(info.Model)
	}
	return nil, fmt.Errorf("index was built with encoder %q, which takes no images here", info.Name)
}
