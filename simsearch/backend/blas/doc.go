// Package blas runs the float32 matrix products of GoMLX's pure-Go backend ("simplego") on
// OpenBLAS's sgemm, and replaces three more of its kernels that the training step profile
// puts next: Slice, broadcasting Add/Sub/Mul, and Sign.
//
// # What is replaced
//
// Each override is an entry of simplego's executor table (see "Two ways in" below), with
// its own guards, self-test and switch; each hands what it does not cover to the stock
// kernel it replaced:
//
//   - DotGeneral (float32) → OpenBLAS sgemm. Switch: Enable; counters: Calls, HandedBack.
//   - Slice (every dtype simplego supports: float32/64, bfloat16, int8–64, uint8–64, bool)
//     → one copy() per contiguous run. simplego's execSliceGeneric moves one element at a
//     time through an odometer over all axes; here size-1 output axes are dropped and
//     neighbouring axes merged wherever the operand's layout allows, so that the innermost
//     axes taken whole — or the contiguous range of a stride-1 axis and the whole axes
//     inside it — are one run, copied with copy() (runs shorter than 8 and strided runs
//     with a plain loop). The im2col of a 3×3 convolution (nine shifted windows of a padded
//     [b, h+2, w+2, c] map) becomes b·h copies of w·c elements; an LSTM gate (a column
//     range of [b, 4h]) b copies of h. Switch: EnableSlice, CORPUSHUNT_FASTSLICE=0;
//     counters: SliceCalls, SliceHandedBack (rank above 16, unexpected parameters).
//   - Add, Sub, Mul with broadcasting (float32/64, int32/64; operands of different shapes,
//     neither of size 1) → strided runs. simplego advances a broadcastIterator (an odometer
//     over every axis) per operand per output element; here the axes are merged as for
//     Slice and the innermost run is one loop (both operands contiguous, or one a repeated
//     scalar): a conv bias add is b·h·w rows of c. Same-shape and scalar operands, where
//     the stock kernels are plain loops already, are handed back. The result is written
//     over an owned operand of the output's shape exactly when simplego would.
//   - Sign (float32/64; the ReLU gradient) → a loop the compiler turns into conditional
//     moves: simplego's branches on each element's sign mispredict on a ReLU's input
//     (alone, 2M values: 2.1–2.5 ms against 11–12 ms; inside the conv training step,
//     where memory traffic bounds it, 1.14×: see signF32).
//
// The last two share a switch: EnableElementwise, CORPUSHUNT_FASTELEMENTWISE=0; counters:
// ElementwiseCalls, ElementwiseHandedBack. Slice, Add/Sub/Mul and Sign compute the same
// bits as the stock kernels (a copy; the same operation on the same pair of elements), so
// their self-tests and tests compare bit for bit. CORPUSHUNT_BLAS=0 disables all of them.
//
// Measured with the four settings alternated within one run per workload (package
// blastest; 20 rounds, 2-core shared machine, ms per call; gain: the previous column's time
// over this one's):
//
//	go test -run XXX -bench Overrides -benchtime 20x ./simsearch/convae/ ./simsearch/textae/
//
//	                       stock   sgemm  +slice  (gain)  +elementwise  (gain)  all vs stock
//	conv train step b128   869.3   232.6   176.6   1.32      159.5       1.11      5.45×
//	conv encode 512       1184.0   330.1   288.2   1.15      213.7       1.35      5.54×
//	DAAE step b64          567.4   183.6   181.6   1.01      161.7       1.12      3.51×
//	DAAE encode 512        564.9   170.3   156.5   1.09      119.8       1.31      4.72×
//
// A second run gave gains of 1.27 and 1.18 (conv step), 1.21 and 1.34 (conv encode), 1.13
// and 1.27 (DAAE encode). Results: the Slice and elementwise settings equal the sgemm
// setting's bit for bit at every call; all agree with stock to 6.5e-6 relative (conv
// step, after 21 steps of separately trained models), 8e-7 (encoders) and 1.2e-5 (DAAE
// step, 21 steps; checked to 1e-4, as in BenchmarkBLASOnOff: sgemm's summation order).
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
// op execution, buffer pools and donation, every op not listed above, gradients, caching of compiled
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
// Engage installs the DotGeneral override at most once per process, and only if all of
// these hold; otherwise the pure-Go kernel stays and, except when disabled on purpose, one
// line on stderr says why:
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
// The Slice and elementwise overrides are engaged by the same Engage call, independently of
// OpenBLAS (they are pure Go, and engage without cgo too), each under the same pattern: not
// disabled (CORPUSHUNT_BLAS=0, or CORPUSHUNT_FASTSLICE=0 / CORPUSHUNT_FASTELEMENTWISE=0:
// silently); each replaced table entry is simplego's own function (execSlice; execAdd,
// execSub, execMul, execSign) from GoMLX v0.26.0's source; simplego.Node has the fields
// read (data of type any, shape of type shapes.Shape; sliceNode's starts, limits and
// strides of type []int, checked at the first Slice); and a self-test — small cases run
// through the override and through the stock kernel, served by the override and equal bit
// for bit. A failure restores the stock entries and prints one line on stderr. At run time
// each op whose parameters disagree with what the override derives (a Slice's output
// dimensions against the node's shape, out-of-range starts or limits) goes to the stock
// kernel.
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
// Enable, EnableSlice and EnableElementwise switch the overrides on and off in a running
// process (benchmarks compare the settings in one run, see package blastest); Active,
// SliceActive and ElementwiseActive describe the paths in use; Calls and HandedBack,
// SliceCalls and SliceHandedBack, ElementwiseCalls and ElementwiseHandedBack count the ops.
package blas
