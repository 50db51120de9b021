#!/usr/bin/env python3
"""PyTorch reference for corpushunt's GPU benchmark: the tutorial's parity autoencoder.

Same architecture as simsearch/convae's "parity" model: 4 x [conv 3x3 pad 1 -> ReLU ->
max-pool 2] (3->16->32->64->128), decoder 4 x [transposed conv k2 s2 -> ReLU]
(128->64->32->16->3); MSE; Adam lr 1e-3; batch 128; fp32. Images come from a CIFAR-10
binary batch and, like corpushunt's trainer, are shuffled on the host each epoch and sent
to the GPU batch by batch ("host" mode). "resident" mode keeps the whole set on the GPU,
PyTorch's best case.

Prints one JSON line per measurement.
"""
import argparse
import json
import time

import numpy as np
import torch
from torch import nn


def load(path, limit):
    raw = np.fromfile(path, dtype=np.uint8).reshape(-1, 3073)[:limit]
    img = raw[:, 1:].reshape(-1, 3, 32, 32).astype(np.float32) / 255.0  # NCHW planes
    return np.ascontiguousarray(img)


class Parity(nn.Module):
    def __init__(self):
        super().__init__()
        enc, c = [], 3
        for o in (16, 32, 64, 128):
            enc += [nn.Conv2d(c, o, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
            c = o
        dec = []
        for o in (64, 32, 16, 3):
            dec += [nn.ConvTranspose2d(c, o, 2, stride=2), nn.ReLU()]
            c = o
        self.encoder, self.decoder = nn.Sequential(*enc), nn.Sequential(*dec)

    def forward(self, x):
        return self.decoder(self.encoder(x))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--limit", type=int, default=9000)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--tf32", action="store_true", help="allow TF32 (default: strict fp32)")
    args = ap.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    torch.backends.cudnn.allow_tf32 = args.tf32
    torch.backends.cudnn.benchmark = True
    dev = torch.device("cuda")
    x = load(args.data, args.limit)
    n = (len(x) // args.batch) * args.batch

    for mode in ("host", "resident"):
        torch.manual_seed(1)
        model = Parity().to(dev)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        xs = torch.from_numpy(x).to(dev) if mode == "resident" else None
        rng = np.random.default_rng(1)
        times = []
        for epoch in range(args.epochs):
            perm = rng.permutation(len(x))[:n]
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            for s in range(0, n, args.batch):
                idx = perm[s:s + args.batch]
                if mode == "resident":
                    b = xs[torch.from_numpy(idx).to(dev)]
                else:
                    b = torch.from_numpy(x[idx]).to(dev, non_blocking=False)
                opt.zero_grad(set_to_none=True)
                loss = nn.functional.mse_loss(model(b), b)
                loss.backward()
                opt.step()
            torch.cuda.synchronize()
            times.append(time.perf_counter() - t0)
        print(json.dumps({"what": "pytorch_train", "mode": mode, "tf32": args.tf32, "images": n,
                          "epoch_seconds": [round(t, 3) for t in times],
                          "last_epoch_images_per_sec": round(n / times[-1], 1),
                          "final_loss": round(loss.item(), 5)}), flush=True)

    # Encoding: the encoder half, batch 512, over the images repeated to 50,000.
    model.eval()
    reps = -(-50000 // len(x))
    big = np.concatenate([x] * reps)[:50000]
    with torch.no_grad():
        for warm in (True, False):
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            for s in range(0, len(big), 512):
                b = torch.from_numpy(big[s:s + 512]).to(dev)
                codes = model.encoder(b).flatten(1).cpu()
            torch.cuda.synchronize()
            dt = time.perf_counter() - t0
        print(json.dumps({"what": "pytorch_encode", "images": len(big), "seconds": round(dt, 3),
                          "images_per_sec": round(len(big) / dt, 1), "code_dim": codes.shape[1]}), flush=True)


if __name__ == "__main__":
    main()
