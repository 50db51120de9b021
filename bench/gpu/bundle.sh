#!/usr/bin/env bash
# Build what bench/gpu/run.sh needs on the GPU machine into .dev/bundle.tar.xz (ignored by
# git, carried by the device tool): the CLI (cgo, x86-64), the shared libraries it links
# that a non-Debian machine may lack, and CIFAR-10's first training batch, the shared
# test records and the Yelp sentences (the transfer is limited to 64 MiB).
set -euo pipefail
cd "$(dirname "$0")/../.."
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
go build -ldflags="-s -w" -o "$stage/corpushunt" ./cmd/corpushunt
mkdir -p "$stage/lib" "$stage/data/cifar-10-batches-bin"
for l in libfaiss_c.so libopenblas.so.0 libgfortran.so.5 libquadmath.so.0 libgomp.so.1; do
  src=$(ldconfig -p | awk -v l="$l" '$1 == l {print $NF; exit}')
  cp -L "$src" "$stage/lib/$l"
done
src=$(go run ./cmd/corpushunt datasets info 2>/dev/null | awk '/^CIFAR-10/ {print $NF}')
for f in data_batch_1.bin test_batch_first1000.bin batches.meta.txt; do
  [ -f "$src/$f" ] && cp "$src/$f" "$stage/data/cifar-10-batches-bin/"
done
ysrc=$(go run ./cmd/corpushunt datasets info 2>/dev/null | awk '/^Yelp/ {print $NF}')
if [ -d "$ysrc" ]; then
  mkdir -p "$stage/data/yelp/sentiment"
  cp "$ysrc"/sentiment.{dev,test}.{0,1} "$stage/data/yelp/"
  cp "$ysrc"/sentiment/* "$stage/data/yelp/sentiment/"
fi
mkdir -p .dev
tar cJf .dev/bundle.tar.xz -C "$stage" .
ls -la .dev/bundle.tar.xz
