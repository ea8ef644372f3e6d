/** Pieces shared by the policies: routing, queue insertion, and the never-fits test. */
import type { ClientSpec } from "../profile/schema.js";
import type { Client, Seq } from "../sim/state.js";
import type { Request } from "../trace/types.js";

/** Request needs ceil((p + o − 1)/blockSize) blocks at its last step; above the usable cache it can never finish. */
export function fitsKv(r: Request, spec: ClientSpec, watermark = true): boolean {
  const blocks = Math.ceil((r.promptTokens + r.outputTokens - 1) / spec.blockSize);
  return blocks <= spec.kvBlocks - (watermark ? Math.floor(spec.watermark * spec.kvBlocks) : 0);
}

export type Routing = "round-robin" | "least-loaded" | "least-work";

/** A router: round-robin in arrival order (vLLM data-parallel API server default), or least outstanding requests / work. */
export function makeRouter(kind: Routing): (seq: Seq, clients: readonly Client[]) => number {
  let next = 0;
  return (seq, clients) => {
    if (kind === "round-robin") {
      const j = next;
      next = (next + 1) % clients.length;
      return j;
    }
    let best = 0;
    for (let j = 1; j < clients.length; j++) {
      const a = kind === "least-loaded" ? clients[j]!.outstanding : clients[j]!.outstandingWork;
      const b = kind === "least-loaded" ? clients[best]!.outstanding : clients[best]!.outstandingWork;
      if (a < b) best = j;
    }
    void seq;
    return best;
  };
}

/** Inserts into a queue kept sorted by `key` ascending (stable: after equal keys). */
export function insertSorted(queue: Seq[], seq: Seq, key: (s: Seq) => number): void {
  const k = key(seq);
  let lo = 0;
  let hi = queue.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (key(queue[mid]!) <= k) lo = mid + 1;
    else hi = mid;
  }
  queue.splice(lo, 0, seq);
}
