"""numpy reference for bench/mole.ts: the same factorization of the same expert group, read from the
same safetensors file: G = sum_i W_i^T W_i (W.T @ W, numpy's syrk path), eigh(G), B = V_r^T rounded to
BF16, A_i = W_i V_r rounded to BF16, and the error ||W_i - A_i B||, one expert in memory at a time.

Usage: python3 bench/mole_numpy.py SPEC.json
SPEC: {"file", "dtype": "BF16"|"F32", "experts": [{"offset", "rows", "cols"}, ...], "rank", "kinds": [[...experts...], ...]}
Prints JSON: seconds per kind group, total seconds, relative errors, peak RSS.
"""
import json
import resource
import sys
import time

import numpy as np


def read(f, e, dtype):
    f.seek(e["offset"])
    n = e["rows"] * e["cols"]
    if dtype == "BF16":
        u16 = np.fromfile(f, dtype=np.uint16, count=n)
        w = (u16.astype(np.uint32) << 16).view(np.float32)
    else:
        w = np.fromfile(f, dtype=np.float32, count=n)
    return w.reshape(e["rows"], e["cols"])


def round_bf16(a):
    b = a.view(np.uint32)
    r = ((b + 0x7FFF + ((b >> 16) & 1)) >> 16) << 16
    return r.astype(np.uint32).view(np.float32)


def factorize(f, experts, dtype, rank):
    d = experts[0]["cols"]
    G = np.zeros((d, d), np.float32)
    for e in experts:
        w = read(f, e, dtype)
        G += w.T @ w
    vals, V = np.linalg.eigh(G)
    Vr = np.ascontiguousarray(V[:, ::-1][:, :rank])
    B = np.ascontiguousarray(Vr.T)
    if dtype == "BF16":
        B = round_bf16(B)
    err = 0.0
    norm = 0.0
    for e in experts:
        w = read(f, e, dtype)
        A = w @ Vr
        if dtype == "BF16":
            A = round_bf16(A)
        norm += float(np.sum(w.astype(np.float64) ** 2))
        w -= A @ B
        err += float(np.sum(w.astype(np.float64) ** 2))
    return (err / norm) ** 0.5


def main():
    spec = json.load(open(sys.argv[1]))
    out = {"kinds": []}
    t0 = time.perf_counter()
    with open(spec["file"], "rb") as f:
        for group in spec["kinds"]:
            t = time.perf_counter()
            rel = factorize(f, [spec["experts"][i] for i in group], spec["dtype"], spec["rank"])
            out["kinds"].append({"seconds": time.perf_counter() - t, "relativeError": rel})
    out["seconds"] = time.perf_counter() - t0
    out["maxRssBytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    out["numpy"] = np.__version__
    print(json.dumps(out))


if __name__ == "__main__":
    main()
