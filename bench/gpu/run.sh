#!/usr/bin/env bash
# GPU benchmark and check, run on the device machine by the `device` tool (see
# bench/gpu/README.md). Expects the bundle made by bench/gpu/bundle.sh in .dev/.
# Every step logs to $OUT and the script goes on after a failure.
set -u
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT" /tmp/dev
log() { echo "== $* ($(date +%T))"; }
tar xJf .dev/bundle.tar.xz -C /tmp/dev || { echo "bundle missing"; exit 1; }
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
nproc
PY=python3
SITE=$($PY -c 'import site; print(site.getsitepackages()[0])')
PLUGIN=$(ls "$SITE"/jax_plugins/xla_cuda*/xla_cuda_plugin.so | head -1)
echo "plugin: $PLUGIN"
NVLIBS=$(ls -d "$SITE"/nvidia/*/lib 2>/dev/null | tr '\n' ':')
export LD_LIBRARY_PATH="/tmp/dev/lib:${NVLIBS}${LD_LIBRARY_PATH:-}"
export XLA_FLAGS="--xla_gpu_cuda_data_dir=$(dirname "$(dirname "$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)")")"
export GOPJRT_CUDA_CHECKS=0 GOMLX_NO_AUTO_INSTALL=1 CORPUSHUNT_DATA=/tmp/dev/data
B=/tmp/dev/corpushunt
GPU="xla:$PLUGIN"
STEPS=${STEPS:-"train pytorch compare knn"}
want() { case " $STEPS " in *" $1 "*) return 0;; esac; return 1; }

if want train; then
log "1. GoMLX train on XLA CUDA (parity, 9,000 images, 3 epochs, batch 128, fp32), im2col and native convolutions"
$B train cifar10 --limit 9000 --val 1000 --epochs 3 --backend "$GPU" --out /tmp/m-gpu 2>&1 | tail -3 | tee "$OUT/train_gpu.txt"
cp /tmp/m-gpu/model.json "$OUT/model_gpu.json" 2>/dev/null
$B train cifar10 --limit 9000 --val 1000 --epochs 3 --conv native --backend "$GPU" --out /tmp/m-gpu-native 2>&1 | tail -1 | tee "$OUT/train_gpu_native.txt"
cp /tmp/m-gpu-native/model.json "$OUT/model_gpu_native.json" 2>/dev/null
fi

if want pytorch; then
log "1b. PyTorch reference, same data and model"
$PY bench/pytorch/parity_ae.py --data /tmp/dev/data/cifar-10-batches-bin/data_batch_1.bin --limit 9000 --epochs 3 2>&1 | tail -4 | tee "$OUT/pytorch.txt"
$PY bench/pytorch/parity_ae.py --data /tmp/dev/data/cifar-10-batches-bin/data_batch_1.bin --limit 9000 --epochs 2 --tf32 2>&1 | grep train | tee -a "$OUT/pytorch.txt"
fi

if want compare; then
log "2. encode with the GPU-trained checkpoint on the GPU and on the CPU (pure Go), index, compare"
GOMLX_BACKEND="$GPU" $B index --dataset cifar10 --encoder /tmp/m-gpu --factory Flat --metric cos --out /tmp/idx-gpu 2>&1 | tail -4 | tee "$OUT/index_gpu.txt"
GOMLX_BACKEND=go $B index --dataset cifar10 --encoder /tmp/m-gpu --factory Flat --metric cos --out /tmp/idx-cpu 2>&1 | tail -4 | tee "$OUT/index_cpu.txt"
$PY - <<'PYEOF' 2>&1 | tee "$OUT/compare.txt"
import json, numpy as np
def load(d):
    m = json.load(open(d + "/manifest.json"))
    return np.fromfile(d + "/" + m["files"]["vectors"]["name"], dtype="<f4").reshape(m["count"], m["dim"])
g, c = load("/tmp/idx-gpu"), load("/tmp/idx-cpu")
print("vectors", g.shape, "max |gpu-cpu|", float(np.abs(g - c).max()), "mean", float(np.abs(g - c).mean()))
q = g[:200]
def top(base, q, k=10):
    s = q @ base.T
    return np.argsort(-s, axis=1)[:, 1:k + 1]
tg, tc = top(g, q), top(c, c[:200])
same = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(tg, tc)])
print("top-10 neighbour overlap, GPU codes vs CPU codes:", round(float(same), 4))
PYEOF
GOMLX_BACKEND=go $B eval --index /tmp/idx-gpu,/tmp/idx-cpu --queries cifar10:test -k 1,10 2>/dev/null | tail -3 | tee -a "$OUT/compare.txt"
[ -d /tmp/m-gpu-native ] && GOMLX_BACKEND="$GPU" $B index --dataset cifar10 --encoder /tmp/m-gpu-native --factory Flat --metric cos --out /tmp/idx-gpu-native 2>&1 | grep encoder | tee -a "$OUT/index_gpu.txt"
fi

if want knn; then
log "3. k-NN: FAISS CPU against exact search on the GPU (GoMLX/XLA)"
$B knnbench --n 50000 --dim 512 --queries 1000 --backend "$GPU" 2>&1 | tail -5 | tee "$OUT/knn_50k.txt"
$B knnbench --n 1000000 --dim 512 --queries 1000 --skip-ivf --backend "$GPU" 2>&1 | tail -4 | tee "$OUT/knn_1m.txt"
fi
if want yelp; then
log "4. Yelp text autoencoder on XLA CUDA: train each configuration, index 50k sentences, evaluate"
# YELP_CONFIGS: "name:train flags;name:train flags;…" (default: the CPU preset at the
# paper's learning rate and faster ones, one epoch each).
YELP_CONFIGS=${YELP_CONFIGS:-"base:--lr 5e-4"}
$B index --dataset yelp --encoder bow --limit 50000 --factory Flat --metric cos --out /tmp/yi-bow 2>&1 | tail -1
IFS=';' read -ra cfgs <<< "$YELP_CONFIGS"
for c in "${cfgs[@]}"; do
  name=${c%%:*}; flags=${c#*:}
  log "yelp $name: $flags"
  # shellcheck disable=SC2086
  $B train yelp --backend "$GPU" $flags --out /tmp/y-$name 2>&1 | tail -1 | tee "$OUT/yelp_train_$name.txt"
  cp /tmp/y-$name/model.json "$OUT/yelp_model_$name.json" 2>/dev/null
  cp /tmp/y-$name/history.jsonl "$OUT/yelp_history_$name.jsonl" 2>/dev/null
  GOMLX_BACKEND="$GPU" $B index --dataset yelp --encoder /tmp/y-$name --limit 50000 --factory Flat --metric cos --out /tmp/yi-$name 2>&1 | tail -1
  GOMLX_BACKEND="$GPU" $B eval --index /tmp/yi-$name,/tmp/yi-bow --queries yelp -k 1,10,100 2>&1 | tail -4 | tee "$OUT/yelp_eval_$name.txt"
done
fi
log "done"
