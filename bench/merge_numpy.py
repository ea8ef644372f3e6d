"""numpy reference for bench/merge.ts: LoRE's solver (src/merge/lore/solver.ts and svt.ts), the
same algorithm step for step in float32 numpy, run for exactly the number of sweeps the
TypeScript solver ran, on the same matrices. Prints JSON {seconds, objective, numpy}.

Usage: python3 bench/merge_numpy.py SPEC.json
SPEC: {"files": [theta_i.f32, ...], "size": n, "sweeps": k, "mu": relative mu}
"""
import json
import sys
import time

import numpy as np

OVERSAMPLE = 8
INITIAL_WIDTH = 32
COLD_POWER = 2
SHRINK = 0.7


class State:
    def __init__(self, m, n, seed):
        kmax = min(m, n)
        self.l = min(kmax, INITIAL_WIDTH)
        self.V = None
        self.seed = seed
        self.exact = kmax <= 128


def orth(y):
    return np.linalg.qr(y)[0]


def sketch(a, st):
    if st.V is not None and st.V.shape[1] == st.l:
        q = orth(a @ st.V)
    else:
        omega = np.random.default_rng(st.seed).standard_normal((a.shape[1], st.l), dtype=np.float32)
        st.seed += 1
        q = orth(a @ omega)
        for _ in range(COLD_POWER):
            z = orth(a.T @ q)
            q = orth(a @ z)
    z = a.T @ q
    uz, sz, vzt = np.linalg.svd(z, full_matrices=False)
    return q @ vzt.T, sz, uz.T, uz


def keep(u, s, vt, tau):
    k = int(np.sum(s > tau)) if np.isfinite(tau) else len(s)
    shrunk = (s[:k] - tau) if np.isfinite(tau) else s[:k]
    return {"U": u[:, :k], "s": shrunk, "Vt": vt[:k], "sigma": s}


def svt_sweep(a, tau, st):
    kmax = min(a.shape)
    while True:
        if st.exact:
            u, s, vt = np.linalg.svd(a, full_matrices=False)
            return keep(u, s, vt, tau)
        u, s, vt, v = sketch(a, st)
        st.V = v
        k = int(np.sum(s > tau))
        if k > st.l - OVERSAMPLE and st.l < kmax:
            st.l = min(kmax, 2 * st.l)
            st.V = None
            if st.l > kmax / 4:
                st.exact = True
            continue
        return keep(u, s, vt, tau)


def noise_edge(rows, cols, rs, firsts):
    kmax = min(rows, cols)
    lp = max(1, min(24, kmax // 4))
    edge = 0.0
    for a, f in zip(rs, firsts):
        sig = f["sigma"].astype(np.float64)
        k = min(lp, len(sig))
        head = float(np.sum(sig[:k] ** 2))
        dof = (rows - k) * (cols - k)
        s2 = max(0.0, float(np.sum(a.astype(np.float64) ** 2)) - head) / dof if dof > 0 else 0.0
        edge = max(edge, np.sqrt(s2) * (np.sqrt(rows) + np.sqrt(cols)))
    return edge


def solve(thetas, mu_rel, sweeps):
    n = len(thetas)
    rows, cols = thetas[0].shape
    mean = sum(thetas) / np.float32(n)
    y = mean.copy()
    x = y.copy()
    states = [State(rows, cols, 1 + i) for i in range(n)]
    t = 1.0
    F = None
    mu_t = mu_k = 0.0
    for k in range(sweeps):
        rs = [th - y for th in thetas]
        first = None
        if k == 0:
            first = [svt_sweep(a, np.inf, st) for a, st in zip(rs, states)]
            scale = noise_edge(rows, cols, rs, first)
            top = max(float(f["sigma"][0]) for f in first)
            mu_t = 2 * mu_rel * scale
            mu_k = max(mu_t, top)
        tau = mu_k / 2
        factors = []
        for i, a in enumerate(rs):
            f = None
            if first is not None:
                sig = first[i]["sigma"]
                kk = int(np.sum(sig > tau))
                if states[i].exact or kk <= states[i].l - OVERSAMPLE or states[i].l >= min(rows, cols):
                    f = keep(first[i]["U"], sig, first[i]["Vt"], tau)
            factors.append(f if f is not None else svt_sweep(a, tau, states[i]))
        acc = np.zeros_like(y)
        sum_r2 = 0.0
        nuc = 0.0
        for a, f in zip(rs, factors):
            a -= (f["U"] * f["s"].astype(np.float32)) @ f["Vt"]
            nuc += float(np.sum(f["s"]))
            sum_r2 += float(np.vdot(a, a))
            acc += a / np.float32(n)
        rbar2 = float(np.vdot(acc, acc))
        rbar_abar = float(np.vdot(acc, mean - y))
        x_new = y + acc
        restart = float(np.vdot(-acc, x_new - x))
        fit = max(0.0, sum_r2 - n * rbar2)
        F = fit + mu_t * nuc
        beta = 0.0
        if restart > 0:
            t = 1.0
        t_next = (1 + np.sqrt(1 + 4 * t * t)) / 2
        beta = (t - 1) / t_next
        t = t_next
        y = x_new + np.float32(beta) * (x_new - x)
        x = x_new
        if mu_k > mu_t:
            mu_k = max(mu_t, mu_k * SHRINK)
            if mu_k == mu_t:
                t = 1.0
                y = x.copy()
    return F


def main():
    spec = json.load(open(sys.argv[1]))
    n = spec["size"]
    thetas = [np.fromfile(f, dtype=np.float32).reshape(n, n) for f in spec["files"]]
    # warm-up: load LAPACK, touch the code paths on a small problem
    solve([t[:256, :256].copy() for t in thetas], spec["mu"], 3)
    t0 = time.perf_counter()
    objective = solve(thetas, spec["mu"], spec["sweeps"])
    seconds = time.perf_counter() - t0
    print(json.dumps({"seconds": seconds, "objective": objective, "numpy": np.__version__}))


if __name__ == "__main__":
    main()
