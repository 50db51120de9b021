package backend

import (
	"fmt"
	"os"
	"strings"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/backends/xla"

	"github.com/corpushunt/corpushunt/simsearch/backend/blas"
	"github.com/corpushunt/corpushunt/simsearch/backend/trainops"
)

// EnvBackend is GoMLX's variable for choosing a backend.
const EnvBackend = backends.ConfigEnvVar // "GOMLX_BACKEND"

// ErrXLAUnavailable is returned when XLA is asked for but cannot be loaded.
var ErrXLAUnavailable = fmt.Errorf("XLA backend unavailable")

// New returns the backend named by config; "" means $GOMLX_BACKEND, and when that is
// unset too, the pure-Go backend. Accepted: "go[:options]" (pure Go, with this package's
// additions), "xla:cuda", "xla:cpu", "xla:/abs/path/to/pjrt_plugin.so".
func New(config string) (b backends.Backend, err error) {
	trainops.InstallGradients()
	if config == "" {
		config = os.Getenv(EnvBackend)
	}
	name, opts, _ := strings.Cut(config, ":")
	switch name {
	case "", "go", "simplego":
		inner, err := simplego.New(opts)
		if err != nil {
			return nil, fmt.Errorf("pure-Go backend %q: %w", config, err)
		}
		blas.Engage() // float32 matrix products on OpenBLAS sgemm, when its guards pass
		return &trainops.Extended{Backend: inner}, nil
	case "xla", "stablehlo", "hlo":
		// Never download plugins at run time.
		os.Setenv("GOMLX_NO_AUTO_INSTALL", "1")
		defer func() {
			if r := recover(); r != nil {
				b, err = nil, fmt.Errorf("%w: %q: %v\n%s", ErrXLAUnavailable, config, r, xlaHint)
			}
		}()
		xb, err := xla.New(opts)
		if err != nil {
			return nil, fmt.Errorf("%w: %q: %v\n%s", ErrXLAUnavailable, config, err, xlaHint)
		}
		return xb, nil
	}
	return nil, fmt.Errorf("unknown backend %q: use go, xla:cuda, xla:cpu or xla:/path/to/pjrt_plugin.so", config)
}

const xlaHint = "fix: install a PJRT plugin (on a GPU machine, JAX's jax_plugins/xla_cuda*/xla_cuda_plugin.so " +
	"works) and set GOMLX_BACKEND=xla:/abs/path/to/plugin.so, or unset GOMLX_BACKEND to train on the pure-Go backend"

// Describe names a backend for logs and model metadata.
func Describe(b backends.Backend) string {
	return fmt.Sprintf("%s (%s)", b.Name(), b.Description())
}
