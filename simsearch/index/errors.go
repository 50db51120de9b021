package index

import (
	"errors"
	"fmt"
)

// Sentinel errors, matchable with errors.Is.
var (
	ErrDimension   = errors.New("dimension mismatch")
	ErrBadK        = errors.New("k must be at least 1")
	ErrKTooLarge   = errors.New("k larger than the index")
	ErrNotTrained  = errors.New("index is not trained")
	ErrBadVector   = errors.New("bad vector")
	ErrEmpty       = errors.New("no vectors")
	ErrFactory     = errors.New("unknown or invalid FAISS factory string")
	ErrCorrupt     = errors.New("index files corrupt or incomplete")
	ErrNewerFormat = errors.New("index written by a newer corpushunt")
	ErrNoItem      = errors.New("no such item")
	ErrMetric      = errors.New("unknown metric")
	ErrNotIndex    = errors.New("not an index directory")
	ErrNotIndexDir = errors.New("folder is not empty")
	ErrBusy        = errors.New("index busy")
	ErrConflict    = errors.New("index changed on disk by another writer")
	ErrNoAsset     = errors.New("index has no such asset")
)

// VectorError says which vector and which component is bad (NaN or ±Inf).
type VectorError struct {
	Row, Col int
	Value    float32
}

func (e *VectorError) Error() string {
	return fmt.Sprintf("bad vector: row %d component %d is %v", e.Row, e.Col, e.Value)
}

// Is makes errors.Is(err, ErrBadVector) true.
func (e *VectorError) Is(target error) bool { return target == ErrBadVector }
