/** A binary min-heap of events ordered by (time, rank, sequence number) — deterministic ties. */
export interface SimEvent {
  time: number;
  /** Lower ranks first at equal time: 0 iteration end, 1 arrival, 2 start iterations. */
  rank: number;
  seq: number;
  kind: "iterEnd" | "arrival" | "kick";
  /** Client index (iterEnd, kick) or request index (arrival). */
  target: number;
}

const less = (a: SimEvent, b: SimEvent) =>
  a.time < b.time || (a.time === b.time && (a.rank < b.rank || (a.rank === b.rank && a.seq < b.seq)));

/** The simulator's event queue. */
export class EventHeap {
  private a: SimEvent[] = [];
  private n = 0;
  get size(): number {
    return this.a.length;
  }
  push(e: Omit<SimEvent, "seq">): void {
    const ev = { ...e, seq: this.n++ } as SimEvent;
    const a = this.a;
    a.push(ev);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(ev, a[p]!)) break;
      a[i] = a[p]!;
      i = p;
    }
    a[i] = ev;
  }
  pop(): SimEvent | undefined {
    const a = this.a;
    if (a.length === 0) return undefined;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      let i = 0;
      const n = a.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && less(a[r]!, a[l]!) ? r : l;
        if (!less(a[c]!, last)) break;
        a[i] = a[c]!;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}
