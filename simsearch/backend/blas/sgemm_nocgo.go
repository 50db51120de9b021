//go:build !cgo || !linux

package blas

import "errors"

var libConfig string

func loadOpenBLAS(string) error {
	return errors.New("built without cgo (or not on Linux): no OpenBLAS")
}

func setThreads(int) {}

func sgemmBatched(gemmPlan, []float32, []float32, []float32) { panic("blas: no OpenBLAS") }
