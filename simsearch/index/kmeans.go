package index

/*
#cgo LDFLAGS: -lfaiss_c
#include <stdlib.h>
#include <faiss/c_api/Clustering_c.h>
#include <faiss/c_api/error_c.h>
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// KMeans clusters n vectors (n·d values) into k groups with FAISS's own k-means
// (faiss::kmeans_clustering: 25 iterations, seeded) and returns the k·d centroids and the
// final quantisation error. It needs at least k vectors (FAISS warns below 39·k).
func KMeans(vectors []float32, d, k int) (centroids []float32, qerr float32, err error) {
	if d < 1 || len(vectors)%d != 0 {
		return nil, 0, fmt.Errorf("%w: %d values are not rows of %d", ErrDimension, len(vectors), d)
	}
	n := len(vectors) / d
	if k < 1 || k > n {
		return nil, 0, fmt.Errorf("k-means: %d clusters of %d vectors: want 1 ≤ k ≤ n", k, n)
	}
	if err := checkFinite(vectors, d); err != nil {
		return nil, 0, err
	}
	centroids = make([]float32, k*d)
	var q C.float
	rc := C.faiss_kmeans_clustering(C.size_t(d), C.size_t(n), C.size_t(k),
		(*C.float)(unsafe.Pointer(&vectors[0])), (*C.float)(unsafe.Pointer(&centroids[0])), &q)
	if rc != 0 {
		return nil, 0, fmt.Errorf("faiss k-means: %s", C.GoString(C.faiss_get_last_error()))
	}
	return centroids, float32(q), nil
}

func checkFinite(v []float32, d int) error {
	_, err := checkVectors(v, d)
	return err
}
