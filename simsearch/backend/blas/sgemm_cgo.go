//go:build cgo && linux

package blas

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stddef.h>
#include <stdlib.h>

// cblas_sgemm's C ABI with CBLAS's enum values (CblasRowMajor=101, CblasNoTrans=111,
// CblasTrans=112) and 32-bit blasint (checked against openblas_get_config).
typedef void (*ch_sgemm_t)(int, int, int, int, int, int, float, const float *, int,
                           const float *, int, float, float *, int);
typedef void (*ch_set_threads_t)(int);
typedef char *(*ch_get_config_t)(void);

static ch_sgemm_t ch_sgemm;
static ch_set_threads_t ch_set_threads;
static ch_get_config_t ch_get_config;

static const char *ch_load(const char *name) {
	void *h = dlopen(name, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		const char *e = dlerror();
		return e ? e : "dlopen failed";
	}
	ch_sgemm = (ch_sgemm_t)dlsym(h, "cblas_sgemm");
	ch_set_threads = (ch_set_threads_t)dlsym(h, "openblas_set_num_threads");
	ch_get_config = (ch_get_config_t)dlsym(h, "openblas_get_config");
	if (ch_sgemm == NULL) return "no cblas_sgemm in the library";
	if (ch_set_threads == NULL || ch_get_config == NULL) return "not OpenBLAS (no openblas_set_num_threads)";
	return NULL;
}

static const char *ch_config(void) { return ch_get_config(); }
static void ch_threads(int n) { ch_set_threads(n); }

static void ch_sgemm_batched(int ta, int tb, int m, int n, int k,
                             const float *a, long sa, int lda,
                             const float *b, long sb, int ldb,
                             float *c, int batch) {
	long sc = (long)m * (long)n;
	for (int i = 0; i < batch; i++) {
		ch_sgemm(101, ta ? 112 : 111, tb ? 112 : 111, m, n, k, 1.0f,
		         a + (long)i * sa, lda, b + (long)i * sb, ldb, 0.0f, c + (long)i * sc, n);
	}
}
*/
import "C"

import (
	"fmt"
	"strings"
	"unsafe"
)

var libConfig string

// loadOpenBLAS dlopens OpenBLAS (name, or libopenblas.so.0 then libopenblas.so).
func loadOpenBLAS(name string) error {
	names := []string{"libopenblas.so.0", "libopenblas.so"}
	if name != "" {
		names = []string{name}
	}
	var errs []string
	for _, n := range names {
		cs := C.CString(n)
		e := C.ch_load(cs)
		C.free(unsafe.Pointer(cs))
		if e == nil {
			libConfig = C.GoString(C.ch_config())
			if strings.Contains(libConfig, "USE64BITINT") {
				return fmt.Errorf("%s uses 64-bit integers (%s)", n, libConfig)
			}
			return nil
		}
		errs = append(errs, C.GoString(e))
	}
	return fmt.Errorf("OpenBLAS not found (%s); install libopenblas0", strings.Join(errs, "; "))
}

func setThreads(n int) { C.ch_threads(C.int(n)) }

func bool2int(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// sgemmBatched runs g (see gemmPlan) on a, b into c.
func sgemmBatched(g gemmPlan, a, b, c []float32) {
	C.ch_sgemm_batched(bool2int(g.transA), bool2int(g.transB), C.int(g.m), C.int(g.n), C.int(g.k),
		(*C.float)(unsafe.Pointer(&a[0])), C.long(g.strideA), C.int(g.lda),
		(*C.float)(unsafe.Pointer(&b[0])), C.long(g.strideB), C.int(g.ldb),
		(*C.float)(unsafe.Pointer(&c[0])), C.int(g.batch))
}
