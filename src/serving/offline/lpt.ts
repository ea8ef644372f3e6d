/**
 * Longest Processing Time first (Graham 1969, "Bounds on multiprocessing timing anomalies"):
 * jobs in decreasing work to the least-loaded machine; makespan ≤ (4/3 − 1/(3J))·OPT.
 * Used as the MIP's warm start and as the fallback when the solver is not run or fails.
 */
/** An assignment of jobs to machines with the machines' loads. */
export interface Packing {
  /** Client of each job (by job index). */
  assignment: Int32Array;
  /** Σ work per client. */
  loads: Float64Array;
  /** max load. */
  makespan: number;
}

/** The LPT packing of `work` onto `machines`. */
export function lpt(work: readonly number[], machines: number): Packing {
  const order = work.map((_, i) => i).sort((a, b) => work[b]! - work[a]! || a - b);
  const loads = new Float64Array(machines);
  const assignment = new Int32Array(work.length);
  // A small binary heap of (load, machine) keeps this O(n log J).
  const heap: number[] = Array.from({ length: machines }, (_, j) => j);
  const less = (a: number, b: number) => loads[a]! < loads[b]! || (loads[a] === loads[b] && a < b);
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      if (l >= heap.length) return;
      const r = l + 1;
      const c = r < heap.length && less(heap[r]!, heap[l]!) ? r : l;
      if (!less(heap[c]!, heap[i]!)) return;
      [heap[c], heap[i]] = [heap[i]!, heap[c]!];
      i = c;
    }
  };
  for (const i of order) {
    const j = heap[0]!;
    assignment[i] = j;
    loads[j]! += work[i]!;
    down(0);
  }
  return { assignment, loads, makespan: Math.max(0, ...loads) };
}

/** The machines' loads under an assignment. */
export function packingLoads(
  work: readonly number[],
  assignment: ArrayLike<number>,
  machines: number,
): Float64Array {
  const loads = new Float64Array(machines);
  for (let i = 0; i < work.length; i++) loads[assignment[i]!]! += work[i]!;
  return loads;
}
