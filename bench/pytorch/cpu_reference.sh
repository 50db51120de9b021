#!/usr/bin/env bash
# CPU reference numbers for the parity autoencoder in PyTorch (see cpu_reference.py):
# training step at batch 128 and encoding 512 images, 2 threads, NCHW and channels_last.
#
#   bench/pytorch/cpu_reference.sh [--install] [cpu_reference.py options...]
#
# --install first runs `apt-get install -y --no-install-recommends python3-torch` (Debian's
# PyTorch 1.13, ~140 MB download, ~600 MB installed). Only on request, never in CI: the
# script refuses --install when $CI is set. Uses /usr/bin/python3 (Debian's modules).
set -euo pipefail
cd "$(dirname "$0")"
if [[ "${1:-}" == "--install" ]]; then
  shift
  if [[ -n "${CI:-}" ]]; then
    echo "cpu_reference.sh: refusing --install under CI" >&2
    exit 2
  fi
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO=sudo
  $SUDO apt-get install -y --no-install-recommends python3-torch
fi
PY=/usr/bin/python3
if ! $PY -c 'import torch' 2>/dev/null; then
  echo "cpu_reference.sh: PyTorch is not installed for $PY; run with --install (Debian python3-torch)" >&2
  exit 1
fi
exec $PY cpu_reference.py --threads 2 "$@"
