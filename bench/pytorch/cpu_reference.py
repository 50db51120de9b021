#!/usr/bin/env python3
"""CPU reference for corpushunt's pure-Go training speed: the parity autoencoder in PyTorch.

The model is bench/pytorch/parity_ae.py's Parity (the same architecture as
simsearch/convae's "parity" model). On the CPU, with --threads intra-op threads (default 2,
the project's machines), for each memory format (NCHW and channels_last) it times:
  - one Adam training step (MSE reconstruction, lr 1e-3) at --batch (default 128), as
    simsearch/convae's BenchmarkTrainStep / BenchmarkBLASOnOff train-step-b128;
  - encoding --encode images (default 512) with the encoder half in one batch, as
    BenchmarkEncode / BenchmarkBLASOnOff encode-512.
Images are uniform random in [0, 1) unless --data names a CIFAR-10 binary batch (timing does
not depend on the values). Prints one JSON line per measurement plus a readable summary.
"""
import argparse
import json
import os
import statistics
import sys
import time

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parity_ae import Parity, load  # noqa: E402  (reuse the GPU benchmark's model)


def timed(fn, warmup, reps):
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return ts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--encode", type=int, default=512)
    ap.add_argument("--steps", type=int, default=20, help="timed training steps per format")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--data", help="CIFAR-10 binary batch (default: random images)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    n = max(args.batch, args.encode)
    if args.data:
        x = load(args.data, n)
    else:
        x = np.random.default_rng(1).random((n, 3, 32, 32), dtype=np.float32)
    print(json.dumps({"what": "pytorch_cpu_env", "torch": torch.__version__, "threads": torch.get_num_threads(),
                      "mkldnn": torch.backends.mkldnn.is_available()}), flush=True)
    summary = []
    for fmt in ("nchw", "channels_last"):
        mf = torch.channels_last if fmt == "channels_last" else torch.contiguous_format
        torch.manual_seed(1)
        model = Parity().to(memory_format=mf)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        xb = torch.from_numpy(x[:args.batch]).contiguous(memory_format=mf)

        def step():
            opt.zero_grad(set_to_none=True)
            loss = nn.functional.mse_loss(model(xb), xb)
            loss.backward()
            opt.step()
            return loss

        model.train()
        ts = timed(step, args.warmup, args.steps)
        med = statistics.median(ts)
        rec = {"what": "pytorch_cpu_train_step", "format": fmt, "batch": args.batch, "steps": len(ts),
               "ms_per_step_median": round(med * 1e3, 2), "ms_per_step_mean": round(statistics.mean(ts) * 1e3, 2),
               "images_per_sec": round(args.batch / med, 1)}
        print(json.dumps(rec), flush=True)
        summary.append(f"train step  {fmt:13s} batch {args.batch}: {med * 1e3:7.1f} ms/step  {args.batch / med:7.0f} images/s")

        model.eval()
        xe = torch.from_numpy(x[:args.encode]).contiguous(memory_format=mf)

        def enc():
            with torch.no_grad():
                return model.encoder(xe).flatten(1)

        ts = timed(enc, 2, max(5, args.steps // 2))
        med = statistics.median(ts)
        rec = {"what": "pytorch_cpu_encode", "format": fmt, "images": args.encode, "code_dim": enc().shape[1],
               "ms_per_batch_median": round(med * 1e3, 2), "images_per_sec": round(args.encode / med, 1)}
        print(json.dumps(rec), flush=True)
        summary.append(f"encode      {fmt:13s} {args.encode} images: {med * 1e3:7.1f} ms  {args.encode / med:7.0f} images/s")
    print("\n".join(summary))


if __name__ == "__main__":
    main()
