package index

import (
	"fmt"
	"math"
	"strings"

	faiss "github.com/DataIntelligenceCrew/go-faiss"
)

// Metric is how closeness is measured.
type Metric string

const (
	L2     Metric = "l2"  // squared Euclidean distance; smaller is closer
	IP     Metric = "ip"  // inner product; larger is closer
	Cosine Metric = "cos" // inner product of L2-normalised vectors; larger is closer
)

// ParseMetric accepts l2, ip, cos (and the spellings inner_product, cosine).
func ParseMetric(s string) (Metric, error) {
	switch strings.ToLower(s) {
	case "l2", "euclidean":
		return L2, nil
	case "ip", "inner_product", "dot":
		return IP, nil
	case "cos", "cosine":
		return Cosine, nil
	}
	return "", fmt.Errorf("%w %q (want l2, ip or cos)", ErrMetric, s)
}

func (m Metric) faiss() int {
	if m == L2 {
		return faiss.MetricL2
	}
	return faiss.MetricInnerProduct
}

// HigherIsCloser reports whether larger scores mean closer items.
func (m Metric) HigherIsCloser() bool { return m != L2 }

// DefaultFactory chooses a factory string from the corpus size, as autofaiss does: exact
// "Flat" below 10,000 vectors, else "IVF<nlist>,Flat" with nlist about 4·√n rounded to a
// power of two.
func DefaultFactory(n int) string {
	if n < 10000 {
		return "Flat"
	}
	want := 4 * math.Sqrt(float64(n))
	nlist := 1 << int(math.Round(math.Log2(want)))
	return fmt.Sprintf("IVF%d,Flat", nlist)
}

// nlistOf returns the number of IVF lists named by a factory string, or 0.
func nlistOf(factory string) int {
	for _, part := range strings.Split(factory, ",") {
		part = strings.TrimSpace(part)
		if strings.HasPrefix(part, "IVF") {
			var n int
			if _, err := fmt.Sscanf(strings.SplitN(part[3:], "_", 2)[0], "%d", &n); err == nil {
				return n
			}
		}
	}
	return 0
}

// checkVectors verifies len(v) is a positive multiple of dim and every value is finite.
func checkVectors(v []float32, dim int) (n int, err error) {
	if len(v) == 0 {
		return 0, ErrEmpty
	}
	if len(v)%dim != 0 {
		return 0, fmt.Errorf("%w: %d values is not a whole number of %d-dimensional vectors", ErrDimension, len(v), dim)
	}
	for i, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return 0, &VectorError{Row: i / dim, Col: i % dim, Value: x}
		}
	}
	return len(v) / dim, nil
}

// normalized returns a copy of v with every row scaled to unit L2 norm (zero rows stay
// zero). It is the one copy cosine vectors make on their way into FAISS.
func normalized(v []float32, dim int) []float32 {
	out := make([]float32, len(v))
	for r := 0; r < len(v)/dim; r++ {
		row := v[r*dim : (r+1)*dim]
		var s float64
		for _, x := range row {
			s += float64(x) * float64(x)
		}
		if s == 0 {
			continue
		}
		inv := float32(1 / math.Sqrt(s))
		o := out[r*dim : (r+1)*dim]
		for i, x := range row {
			o[i] = x * inv
		}
	}
	return out
}
