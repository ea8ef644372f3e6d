/**
 * Simulator-checked local search over per-device action orders (first-improvement hill climbing
 * with random moves, seeded): swap adjacent actions, fuse an adjacent forward and backward of
 * different micro-batches into an overlapped F&B chunk, split an F&B chunk back into F then B or
 * B then F, split a full backward into I + W and defer the W, and fuse I + W back into B.
 * A move is kept when the simulator accepts the schedule (no deadlock), memory stays within the
 * cap, and (makespan, Σ starts) decreases lexicographically. Used between MIP rounds so that the
 * MIP always starts from the best order found so far.
 */
import { throwIfAborted } from "../../errors/index.js";
import type { Cluster } from "../cluster.js";
import type { Action, Schedule } from "../schedule.js";
import { type SimResult, simulate } from "../simulate.js";
import type { UnitGraph } from "../units.js";

export interface LocalSearchOptions {
  seconds: number;
  memoryCap: number[];
  seed?: number;
  signal?: AbortSignal;
}

function score(sim: SimResult): [number, number] {
  let s = 0;
  for (const d of sim.devices) for (const a of d.timeline) s += a.end;
  return [sim.makespan, s];
}

function better(a: [number, number], b: [number, number]): boolean {
  return a[0] < b[0] - 1e-9 || (a[0] <= b[0] + 1e-9 && a[1] < b[1] - 1e-6);
}

/** mulberry32: a small deterministic PRNG. */
function rng(seed: number): () => number {
  let t = seed >>> 0;
  return () => {
    t += 0x6d2b79f5;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r ^= r + Math.imul(r ^ (r >>> 7), 61 | r);
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

export function localSearch(
  ug: UnitGraph,
  cluster: Cluster,
  start: Schedule,
  opts: LocalSearchOptions,
): { schedule: Schedule; sim: SimResult; moves: number; tried: number } {
  const rand = rng(opts.seed ?? 1);
  let cur = start.devices.map((l) => [...l]);
  let curSim = simulate(ug, cluster, { name: start.name, devices: cur });
  let curScore = score(curSim);
  let best = cur;
  let bestSim = curSim;
  let bestScore = curScore;
  const canPair = ug.overlapFactor !== null && ug.overlapFactor < 1;
  const deadline = Date.now() + opts.seconds * 1000;
  let moves = 0;
  let tried = 0;
  const fits = (sim: SimResult) =>
    sim.devices.every((d, i) => d.peakMemoryBytes <= (opts.memoryCap[i] ?? Number.POSITIVE_INFINITY) + 1e-9);
  while (Date.now() < deadline) {
    if ((tried & 63) === 0) throwIfAborted(opts.signal, "plan");
    tried++;
    const d = Math.floor(rand() * cur.length);
    const list = cur[d]!;
    if (list.length < 2) continue;
    const i = Math.floor(rand() * (list.length - 1));
    const a = list[i]!;
    const b = list[i + 1]!;
    const kind = rand();
    let repl: Action[] | null = null;
    let span = 2;
    if (kind < 0.15 && canPair && a.pass === "F") {
      // pair this forward with a full or input-gradient backward up to 4 positions away
      const off = 1 + Math.floor(rand() * 4);
      const j = rand() < 0.5 ? i + off : i - off;
      const c = list[j];
      if (c && (c.pass === "B" || c.pass === "I") && c.mb !== a.mb) {
        const fb: Action = { pass: "FB", unit: a.unit, mb: a.mb, unit2: c.unit, mb2: c.mb };
        const nl = list
          .map((x, k) => (k === i ? fb : x))
          .filter(
            (x, k) => k !== j && !(c.pass === "I" && x.pass === "W" && x.unit === c.unit && x.mb === c.mb),
          );
        const next = cur.map((l, k) => (k === d ? nl : l));
        try {
          const sim = simulate(ug, cluster, { name: start.name, devices: next });
          if (fits(sim)) {
            const sc = score(sim);
            if (better(sc, curScore) || (sc[0] <= curScore[0] + 1e-9 && rand() < 0.125)) {
              cur = next;
              curSim = sim;
              curScore = sc;
              moves++;
              if (better(sc, bestScore)) {
                best = cur;
                bestSim = sim;
                bestScore = sc;
              }
            }
          }
        } catch {
          // rejected move
        }
      }
      continue;
    }
    if (kind < 0.4) repl = [b, a];
    else if (kind < 0.6 && canPair) {
      if (a.pass === "F" && b.pass === "B" && a.mb !== b.mb)
        repl = [{ pass: "FB", unit: a.unit, mb: a.mb, unit2: b.unit, mb2: b.mb }];
      else if (a.pass === "B" && b.pass === "F" && a.mb !== b.mb)
        repl = [{ pass: "FB", unit: b.unit, mb: b.mb, unit2: a.unit, mb2: a.mb }];
    } else if (kind < 0.8 && a.pass === "FB") {
      span = 1;
      const f: Action = { pass: "F", unit: a.unit, mb: a.mb };
      const bk: Action = { pass: "B", unit: a.unit2!, mb: a.mb2! };
      repl = rand() < 0.5 ? [f, bk] : [bk, f];
    } else if (kind < 0.9 && a.pass === "B" && ug.units[a.unit]!.weight > 0) {
      // split and defer the W by 1..6 positions
      span = 1;
      const k = 1 + Math.floor(rand() * 6);
      const rest = list.slice(i + 1, i + 1 + k);
      repl = [{ pass: "I", unit: a.unit, mb: a.mb }, ...rest, { pass: "W", unit: a.unit, mb: a.mb }];
      span = 1 + rest.length;
    } else if (a.pass === "I" && b.pass === "W" && a.unit === b.unit && a.mb === b.mb)
      repl = [{ pass: "B", unit: a.unit, mb: a.mb }];
    else if (b.pass === "W" && a.pass !== "I") repl = [b, a];
    if (!repl) continue;
    const nextList = [...list.slice(0, i), ...repl, ...list.slice(i + span)];
    const next = cur.map((l, j) => (j === d ? nextList : l));
    let sim: SimResult;
    try {
      sim = simulate(ug, cluster, { name: start.name, devices: next });
    } catch {
      continue;
    }
    if (!fits(sim)) continue;
    const sc = score(sim);
    // Plateau walk: also accept a move that keeps the makespan with probability 1/8, so the search
    // leaves local optima of Σ ends; the best schedule seen is kept apart.
    if (better(sc, curScore) || (sc[0] <= curScore[0] + 1e-9 && rand() < 0.125)) {
      cur = next;
      curSim = sim;
      curScore = sc;
      moves++;
      if (better(sc, bestScore)) {
        best = cur;
        bestSim = sim;
        bestScore = sc;
      }
    }
  }
  return { schedule: { name: start.name, devices: best }, sim: bestSim, moves, tried };
}
