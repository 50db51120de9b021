package checkpoint

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// WeightsChecksum identifies a trained model by its weights: the SHA-256 of every
// variable whose scope-and-name starts with prefix (e.g. "var:/model/", as checkpoints name them), in name order, with
// its shape. Pass the variables a checkpoint loaded (checkpoints.Handler's
// LoadedVariables). Indexes record it, so vectors of two versions of a model (retrained,
// resumed) are never mixed or compared silently.
func WeightsChecksum(vars map[string]*tensors.Tensor, prefix string) (string, error) {
	var names []string
	for n := range vars {
		if strings.HasPrefix(n, prefix) {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return "", fmt.Errorf("weights checksum: no variables under %q", prefix)
	}
	slices.Sort(names)
	h := sha256.New()
	for _, n := range names {
		t := vars[n]
		fmt.Fprintf(h, "%s %s\n", n, t.Shape())
		if err := t.ConstBytes(func(b []byte) { h.Write(b) }); err != nil {
			return "", fmt.Errorf("weights checksum: %s: %w", n, err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
