/**
 * A binary min-heap of events ordered by (time, rank, sequence number) — deterministic ties. It
 * allocates nothing per event: events live in parallel typed arrays (time; rank and sequence packed
 * into one exact double, rank·2³² + seq; target), grown by doubling. `pop` leaves the event it
 * removed in `time`, `rank` and `target` (the simulator's loop reads them; profiling showed the
 * former object-per-event heap spending a quarter of a run copying event objects).
 */

/** Event ranks (processing order at equal times): 0 iteration end, 1 arrival, 2 start iterations. */
export const ITER_END = 0;
export const ARRIVAL = 1;
export const KICK = 2;

/** What an event is: `ITER_END`, `ARRIVAL` or `KICK`. */
export type EventRank = typeof ITER_END | typeof ARRIVAL | typeof KICK;

const SEQ_SPAN = 2 ** 32;

/** The simulator's event queue. */
export class EventHeap {
  private times = new Float64Array(64);
  private keys = new Float64Array(64);
  private targets = new Int32Array(64);
  private n = 0;
  private seq = 0;
  /** The last popped event's time. */
  time = 0;
  /** The last popped event's rank (its kind). */
  rank: EventRank = ITER_END;
  /** The last popped event's target: a client index (iteration end, kick) or a request index (arrival). */
  target = 0;

  get size(): number {
    return this.n;
  }

  private grow(): void {
    const cap = this.times.length * 2;
    const t = new Float64Array(cap);
    t.set(this.times);
    const k = new Float64Array(cap);
    k.set(this.keys);
    const g = new Int32Array(cap);
    g.set(this.targets);
    this.times = t;
    this.keys = k;
    this.targets = g;
  }

  /** Adds an event; ties in time go by rank, then by insertion order. */
  push(time: number, rank: EventRank, target: number): void {
    if (this.n === this.times.length) this.grow();
    const times = this.times;
    const keys = this.keys;
    const targets = this.targets;
    const key = rank * SEQ_SPAN + this.seq++;
    let i = this.n++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = times[p]!; // p < i < n: in range
      if (pt < time || (pt === time && keys[p]! < key)) break;
      times[i] = pt;
      keys[i] = keys[p]!;
      targets[i] = targets[p]!;
      i = p;
    }
    times[i] = time;
    keys[i] = key;
    targets[i] = target;
  }

  /** Removes the first event into `time`, `rank`, `target`; false when the heap is empty. */
  pop(): boolean {
    const n = this.n;
    if (n === 0) return false;
    const times = this.times;
    const keys = this.keys;
    const targets = this.targets;
    this.time = times[0]!;
    const key0 = keys[0]!;
    this.rank = Math.floor(key0 / SEQ_SPAN) as EventRank;
    this.target = targets[0]!;
    const m = n - 1;
    this.n = m;
    if (m > 0) {
      const lt = times[m]!;
      const lk = keys[m]!;
      const lg = targets[m]!;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= m) break;
        const r = l + 1;
        let c = l;
        if (r < m && (times[r]! < times[l]! || (times[r] === times[l] && keys[r]! < keys[l]!))) c = r;
        const ct = times[c]!;
        if (lt < ct || (lt === ct && lk < keys[c]!)) break;
        times[i] = ct;
        keys[i] = keys[c]!;
        targets[i] = targets[c]!;
        i = c;
      }
      times[i] = lt;
      keys[i] = lk;
      targets[i] = lg;
    }
    return true;
  }
}
