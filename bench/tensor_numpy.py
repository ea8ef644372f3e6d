"""numpy reference for bench/tensor.ts: runs the same operations on the same data and prints JSON.

Usage: python3 bench/tensor_numpy.py SPEC.json
SPEC: {"cases": [{"id", "op", "files": [...], "shapes": [[m, n], ...], "repeats", "rank"?, "oversample"?, "power"?},
                 {"id", "op": "read_bf16", "file", "tensors": [{"offset", "count"}]}]}
Times are the best of `repeats` runs (seconds); the first run is a warm-up when repeats > 1.
"""
import json
import resource
import sys
import time

import numpy as np


def load(path, shape):
    return np.fromfile(path, dtype=np.float32).reshape(shape)


def rsvd(a, k, p, q, seed=0):
    """Halko-Martinsson-Tropp 2011, Alg. 4.4 (power iterations with QR) + Alg. 5.1."""
    m, n = a.shape
    l = min(min(m, n), k + p)
    omega = np.random.default_rng(seed).standard_normal((n, l), dtype=np.float32)
    Q, _ = np.linalg.qr(a @ omega)
    for _ in range(q):
        Qt, _ = np.linalg.qr(a.T @ Q)
        Q, _ = np.linalg.qr(a @ Qt)
    b = Q.T @ a
    u, s, vt = np.linalg.svd(b, full_matrices=False)
    return (Q @ u)[:, :k], s[:k], vt[:k]


def best_of(fn, repeats):
    times = []
    out = None
    for _ in range(max(1, repeats)):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return (min(times[1:]) if len(times) > 1 else times[0]), out


def main():
    spec = json.load(open(sys.argv[1]))
    results = {}
    for c in spec["cases"]:
        op = c["op"]
        if op == "read_bf16":
            def read():
                total = 0.0
                with open(c["file"], "rb") as f:
                    for t in c["tensors"]:
                        f.seek(t["offset"])
                        u16 = np.fromfile(f, dtype=np.uint16, count=t["count"])
                        f32 = (u16.astype(np.uint32) << 16).view(np.float32)
                        total += float(f32[0])
                return total
            sec, _ = best_of(read, c.get("repeats", 1))
            results[c["id"]] = {"seconds": sec, "maxRssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}
            continue
        mats = [load(f, s) for f, s in zip(c["files"], c["shapes"])]
        a = mats[0]
        if op == "matmul":
            fn = lambda: a @ mats[1]
        elif op == "qr":
            fn = lambda: np.linalg.qr(a, mode="reduced")
        elif op == "svd":
            fn = lambda: np.linalg.svd(a, full_matrices=False)
        elif op == "rsvd":
            fn = lambda: rsvd(a, c["rank"], c["oversample"], c["power"])
        else:
            raise SystemExit(f"unknown op {op}")
        sec, out = best_of(fn, c.get("repeats", 1))
        r = {"seconds": sec}
        if op in ("svd", "rsvd"):
            r["s"] = [float(x) for x in out[1][:8]]
        results[c["id"]] = r
    cfg = {}
    try:
        cfg = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    except Exception:
        pass
    print(json.dumps({"numpy": np.__version__, "blas": cfg.get("openblas configuration", cfg.get("name", "")), "results": results}))


if __name__ == "__main__":
    main()
