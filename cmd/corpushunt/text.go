package main

import (
	"github.com/corpushunt/corpushunt/simsearch/backend"
	"github.com/corpushunt/corpushunt/simsearch/textae"
)

func loadTextModel(dir string) (*textae.Encoder, error) {
	cfg, err := textBackend("")
	if err != nil {
		return nil, err
	}
	be, err := backend.New(cfg)
	if err != nil {
		return nil, err
	}
	return textae.LoadEncoder(be, dir)
}
