package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/corpushunt/corpushunt/datasets"
	"github.com/corpushunt/corpushunt/datasets/cifar10"
	"github.com/corpushunt/corpushunt/datasets/yelp"
)

func init() {
	register("datasets info", "show each dataset found: where, files, record and class counts", datasetsInfo)
	register("datasets download", "download CIFAR-10 (official binary archive, checksum verified)", datasetsDownload)
}

func datasetsInfo(_ context.Context, args []string) error {
	fs := newFlags("datasets info", "datasets info [--data DIR]")
	data := fs.String("data", "", "data root (default: $CORPUSHUNT_DATA, ../shared/datasets, ./data, cache)")
	if err := parse(fs, args); err != nil {
		return err
	}
	found := 0
	ds, err := cifar10.Locate(*data, cifar10.Options{})
	switch {
	case err == nil:
		found++
		fmt.Printf("CIFAR-10 (%s layout) at %s\n", ds.Layout, ds.Dir)
		fmt.Printf("  classes: %s\n", strings.Join(ds.Classes, ", "))
		for _, s := range ds.Splits() {
			counts, err := s.ClassCounts()
			if err != nil {
				return err
			}
			fmt.Printf("  %-5s %6d images in %d file(s)\n", s.Name, s.Len(), len(s.Files))
			if s.Partial != "" {
				fmt.Printf("        note: %s\n", s.Partial)
			}
			var parts []string
			for c, n := range counts {
				parts = append(parts, fmt.Sprintf("%s %d", ds.Classes[c], n))
			}
			fmt.Printf("        per class: %s\n", strings.Join(parts, ", "))
		}
	case errors.Is(err, datasets.ErrNotFound):
		fmt.Printf("CIFAR-10: not found\n  %s\n", strings.ReplaceAll(err.Error(), "\n", "\n  "))
	default:
		return err
	}
	fmt.Println()
	corpus, err := yelp.Locate(*data)
	switch {
	case err == nil:
		found++
		fmt.Printf("Yelp sentences at %s\n", corpus.Dir)
		total := 0
		for _, f := range corpus.Files {
			label := yelp.LabelName(f.Label)
			if label == "" {
				label = "unlabeled"
			}
			fmt.Printf("  %-26s %7d lines  %s\n", f.Name, f.Lines, label)
			total += f.Lines
		}
		fmt.Printf("  %-26s %7d lines\n", "total", total)
	case errors.Is(err, datasets.ErrNotFound):
		fmt.Printf("Yelp: not found\n  %s\n", strings.ReplaceAll(err.Error(), "\n", "\n  "))
	default:
		return err
	}
	if found == 0 {
		return fmt.Errorf("no dataset found")
	}
	return nil
}

func datasetsDownload(ctx context.Context, args []string) error {
	fs := newFlags("datasets download", "datasets download cifar10 [--dir DIR] [--url URL]")
	dir := fs.String("dir", datasets.CacheDir(), "where to unpack")
	url := fs.String("url", cifar10.OfficialURL, "archive address")
	if len(args) == 0 || args[0] != "cifar10" {
		fmt.Fprintln(os.Stderr, "only `datasets download cifar10` is available; the Yelp sentences must be provided (see README)")
		return errUsage
	}
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	d := cifar10.NewDownloader()
	d.URL = *url
	update, finish := newBar(170052171, "download cifar-10-binary.tar.gz", "B")
	d.Progress = func(done, _ int64) { update(int(done), 0) }
	out, err := d.Download(ctx, *dir)
	finish()
	if err != nil {
		return fmt.Errorf("%w\n%s", err, cifar10.Hint)
	}
	fmt.Println("CIFAR-10 ready at", out)
	return nil
}

// openSplit locates CIFAR-10 (see datasets' search order), opens the named split and says
// on stderr when that split is knowingly partial (the shared copy's 1,000 test records).
func openSplit(data, split string, opts cifar10.Options) (*cifar10.Dataset, *cifar10.Split, error) {
	ds, err := cifar10.Locate(data, opts)
	if err != nil {
		return nil, nil, err
	}
	s, err := ds.Split(split)
	if err != nil {
		return nil, nil, err
	}
	if s.Partial != "" {
		note("note: %s", s.Partial)
	}
	return ds, s, nil
}
