// Package checkpoint makes GoMLX checkpoints of trained models robust: training resumes
// from the newest checkpoint that loads (setting damaged ones aside, never deleting
// them), its history is trimmed to the step it resumes from, encoders fall back to an
// older checkpoint when the newest fails to load, and a checksum of the loaded weights
// identifies a model version (indexes record it).
package checkpoint

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"

	gctx "github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/checkpoints"
)

var checkpointRe = regexp.MustCompile(`^checkpoint-n\d+-.*\.json$`)

// List lists the base names of the checkpoints in dir, oldest first.
func List(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if checkpointRe.MatchString(e.Name()) {
			out = append(out, e.Name()[:len(e.Name())-len(".json")])
		}
	}
	slices.Sort(out) // zero-padded counters: lexical order is age order
	return out, nil
}

// DamagedSuffix is appended to a checkpoint's files that failed to load.
const DamagedSuffix = ".damaged"

// Open prepares dir for training, keeping keep checkpoints: it loads the
// newest checkpoint that loads into ctx. Newer ones that fail to load (a crash or a full
// disk while saving) are set aside, renamed with DamagedSuffix (never deleted), and their
// names returned, so training resumes from the last good state.
func Open(ctx *gctx.Context, dir string, keep int) (*checkpoints.Handler, []string, error) {
	var damaged []string
	for {
		h, err := checkpoints.Build(ctx).Dir(dir).Keep(keep).Done()
		if err == nil {
			return h, damaged, nil
		}
		names, lerr := List(dir)
		if lerr != nil || len(names) == 0 {
			return nil, damaged, fmt.Errorf("checkpoints in %s: %w", dir, err)
		}
		newest := names[len(names)-1]
		for _, ext := range []string{".json", ".bin"} {
			p := filepath.Join(dir, newest+ext)
			if _, serr := os.Stat(p); serr == nil {
				if rerr := os.Rename(p, p+DamagedSuffix); rerr != nil {
					return nil, damaged, fmt.Errorf("checkpoint %s fails to load (%v) and cannot be set aside: %w", newest, err, rerr)
				}
			}
		}
		damaged = append(damaged, newest)
	}
}

// Load loads the newest checkpoint in dir that loads into ctx, changing no
// file, and returns the handler and, when newer ones failed to load, a note saying which
// one was used instead.
func Load(ctx *gctx.Context, dir string) (*checkpoints.Handler, string, error) {
	h, err := checkpoints.Load(ctx).Dir(dir).Done()
	if err == nil {
		return h, "", nil
	}
	first := err
	names, lerr := List(dir)
	if lerr != nil || len(names) == 0 {
		return nil, "", first
	}
	for i := len(names) - 1; i >= 0; i-- {
		js, err1 := os.ReadFile(filepath.Join(dir, names[i]+".json"))
		bin, err2 := os.ReadFile(filepath.Join(dir, names[i]+".bin"))
		if err1 != nil || err2 != nil {
			continue
		}
		h, err := checkpoints.Load(ctx).FromEmbed(string(js), bin).Done()
		if err == nil {
			return h, fmt.Sprintf("the newest checkpoint in %s fails to load (%v); using %s", dir, first, names[i]), nil
		}
	}
	return nil, "", fmt.Errorf("no checkpoint in %s loads: %w", dir, first)
}

// TruncateHistory keeps the rows of a JSON-lines training history whose "step" is at most
// step (the checkpoint training resumes from), so a run killed after its last checkpoint
// does not leave the same steps twice. The file is replaced atomically.
func TruncateHistory(path string, step int64) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var out bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var row struct {
			Step *int64 `json:"step"`
		}
		if json.Unmarshal(sc.Bytes(), &row) != nil || row.Step == nil || *row.Step > step {
			continue // a torn last line, or a step past the checkpoint
		}
		out.Write(sc.Bytes())
		out.WriteByte('\n')
	}
	if bytes.Equal(out.Bytes(), b) {
		return nil
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, out.Bytes(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
