#!/usr/bin/python3
"""Open an index directory's FAISS file with FAISS's own Python binding and search.

usage: faiss_query.py INDEX_DIR QUERIES.f32 K NPROBE
Prints one line per query: the k neighbour ids, space-separated.
"""
import json
import sys

import faiss
import numpy as np

d, qpath, k, nprobe = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
m = json.load(open(f"{d}/manifest.json"))
index = faiss.read_index(f"{d}/{m['files']['index']['name']}")
if nprobe > 0:
    faiss.extract_index_ivf(index).nprobe = nprobe
q = np.fromfile(qpath, dtype="<f4").reshape(-1, m["dim"])
if m["metric"] == "cos":
    faiss.normalize_L2(q)
_, ids = index.search(q, k)
for row in ids:
    print(" ".join(str(int(i)) for i in row))
