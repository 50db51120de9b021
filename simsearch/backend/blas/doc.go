// Package blas runs the float32 matrix products of GoMLX's pure-Go backend ("simplego") on
// OpenBLAS's sgemm.
//
// GoMLX v0.26.0's pure-Go backend computes DotGeneral in scalar Go (blocked, no SIMD):
// on the 2-core machines this project trains on it is 16-51× slower than OpenBLAS sgemm on
// the convolutional autoencoder's shapes, and the matrix products are most of a training
// step. v0.26.0 exports no hook for a DotGeneral kernel and has no custom-call op.
//
// # Two ways in, and the one taken
//
// (a) Replace the DotGeneral entry of simplego's executor table. The backend looks up each
// node's kernel in an unexported array (exec.go: nodeExecutors, filled at init with
// priorities up to priorityUser = 100 "for custom user overrides"), so one //go:linkname
// to that array and one write put our executor in place of execDotGeneral. The executor
// receives the original operands, the node's own parameters (dotGeneralNodeData: batch and
// contracting axes and the normalised sizes) and the backend, and returns a buffer made
// with the exported (*simplego.Backend).NewBuffer. Everything else — scheduling, parallel
// op execution, buffer pools and donation, every other op, gradients, caching of compiled
// graphs — stays GoMLX's own, unchanged. The risk is that it touches unexported symbols,
// whose shape GoMLX may change in any release.
//
// (b) A wrapper backend (in the manner of trainops.Extended) that splits every graph at its
// matrix products: build and compile the segments between DotGenerals as separate simplego
// executables, and run sgemm between them. It uses only exported API, but it has to
// re-implement what the executor already does — a scheduler for the segment graph, the
// threading of every intermediate value across segment boundaries (each crossing is a
// buffer copy out of one executable and into the next), ownership and donation of buffers,
// multi-output nodes, parameters and constants appearing in several segments — and it
// breaks simplego's in-graph op parallelism and buffer reuse at every product. A training
// step of the conv autoencoder has 23 DotGenerals (the DAAE's 137), so a step would become
// dozens to hundreds of executables with copies between them. It is several times the code of (a), its bugs would
// be silent wrong gradients or leaks rather than a refusal to engage, and with the version
// pinned it buys no safety that (a)'s guards do not.
//
// For a pinned GoMLX v0.26.0, (a) is the sounder choice: the internal surface it depends on
// is three things (the table's element type, the node's data field, the parameter struct's
// field names), each of which is checked before use, and any mismatch leaves GoMLX exactly
// as shipped. (b) would be the choice for code meant to float across GoMLX versions.
//
// # Guards
//
// Engage installs the override at most once per process, and only if all of these hold;
// otherwise the pure-Go kernel stays and, except when disabled on purpose, one line on
// stderr says why:
//
//   - CORPUSHUNT_BLAS is not "0" (CORPUSHUNT_BLAS=0 disables the override);
//   - the GoMLX in the binary is v0.26.0: the build information's module list when the
//     binary carries one (go build), and always the source path of the table's DotGeneral
//     entry, which must be simplego.execDotGeneral from github.com/gomlx/gomlx@v0.26.0;
//   - simplego.Node still has a "data" field of type any and the DotGeneral parameter type
//     has the fields read here, with the expected kinds (checked through reflect; the
//     fields are then read through reflect, never through a copied struct layout);
//   - OpenBLAS can be loaded (dlopen of libopenblas.so.0, or $CORPUSHUNT_BLAS_LIB), has
//     cblas_sgemm and uses 32-bit integers; the binary is built with cgo. OpenBLAS is
//     loaded at run time, so binaries build and run without it;
//   - a self-test: small DotGenerals (plain, transposed, batched, one with strided batches)
//     are run through the override and through the stock kernel; the override must have
//     served them, and the results must agree to 1e-5 relative.
//
// Once engaged, each DotGeneral the override cannot map onto sgemm (not float32, or a
// layout where an index group is not one strided run: e.g. interleaved batch and
// contracting axes, or contracting axes listed out of memory order) is handed to the stock
// kernel unchanged; so are nodes whose parameters do not have the checked type.
//
// # Threads
//
// OpenBLAS's thread count is set once (openblas_set_num_threads) to
// $CORPUSHUNT_BLAS_THREADS, by default 1. The executor runs inside one of simplego's worker
// goroutines, and simplego already runs independent ops (such as a layer's input and
// weight gradients) in parallel on its NumCPU workers; a second OpenBLAS thread competes
// with them, and on the shared 2-core machines its thread team waits for a descheduled
// partner and spins between calls. Measured on the parity model's training step (batch
// 128, both settings alternated within one run on the 2-core machine): 214 ms with 1
// thread against 321 ms with 2 at load ~1.2, and 380 against 793 ms at load ~5;
// OPENBLAS_THREAD_TIMEOUT=4 did not change that. On an idle machine with more cores, more threads may pay: SetThreads and
// CORPUSHUNT_BLAS_THREADS are there to measure it.
//
// Enable switches the override on and off in a running process (benchmarks compare both in
// one run); Active describes the path in use; Calls and HandedBack count DotGenerals.
package blas
