/**
 * What every dispatch policy tracks: predictions and work per request, requests in flight per
 * endpoint with their progress, and an estimate of each endpoint's iteration time (from streamed
 * tokens, else from completed requests, else the profile). Policies decide only which queued request
 * goes where and when (`choose`).
 */
import { requestWork } from "../../offline/work.js";
import type { LengthQuery } from "../../predict/types.js";
import { decodeSeconds } from "../../profile/time.js";
import type { DispatchConfig, Dispatcher, DispatchItem, DispatchPlan, Release } from "./types.js";

/** Per-request state. */
export interface ItemState {
  item: DispatchItem;
  query: LengthQuery;
  /** Prediction when the request was (last) planned. */
  predicted: number;
  /** Predicted work (seconds under the profile), all sequences. */
  work: number;
  endpoint: number;
  state: "queued" | "running" | "done";
  releasedAt: number;
  generated: number;
  /** Time of the last progress report (−1 before any). */
  progressAt: number;
}

/** Per-endpoint state. */
export interface EndpointState {
  index: number;
  running: Set<ItemState>;
  /** Seconds per iteration (one token per running request per iteration): an estimate. */
  iterationSeconds: number;
  /** Whether `iterationSeconds` was measured (streamed tokens or completions) rather than modelled. */
  measured: boolean;
}

/** The common state and bookkeeping of the policies. */
export abstract class BaseDispatcher implements Dispatcher {
  abstract readonly policy: string;
  readonly items: ItemState[];
  readonly byIndex = new Map<number, ItemState>();
  readonly endpoints: EndpointState[];
  replans = 0;
  protected queuedCount: number;

  constructor(
    items: readonly DispatchItem[],
    readonly config: DispatchConfig,
  ) {
    this.items = items.map((item) => {
      const query: LengthQuery = {
        index: item.index,
        promptTokens: item.promptTokens,
        maxTokens: item.maxTokens,
        outputTokens: item.outputTokens,
      };
      const s: ItemState = {
        item,
        query,
        predicted: 0,
        work: 0,
        endpoint: -1,
        state: "queued",
        releasedAt: -1,
        generated: 0,
        progressAt: -1,
      };
      this.byIndex.set(item.index, s);
      return s;
    });
    for (const s of this.items) this.predict(s);
    this.queuedCount = this.items.length;
    const t0 = decodeSeconds(config.profile.timeModel, Math.max(1, config.maxConcurrency), 0);
    this.endpoints = Array.from({ length: config.endpoints }, (_, index) => ({
      index,
      running: new Set<ItemState>(),
      iterationSeconds: Math.max(t0, 1e-6),
      measured: false,
    }));
  }

  /** (Re)predicts a request's output and work from the predictor as it stands. */
  protected predict(s: ItemState): void {
    s.predicted = this.config.predictor.predict(s.query);
    s.work = this.workOf(s, s.predicted);
  }

  /** Work (seconds under the profile) of a request producing `outputTokens` per sequence. */
  protected workOf(s: ItemState, outputTokens: number): number {
    return (
      s.item.sequences *
      requestWork(
        { id: 0, arrival: 0, promptTokens: s.item.promptTokens, outputTokens: Math.max(1, outputTokens) },
        this.config.profile,
      )
    );
  }

  /** Tokens an in-flight request has emitted: streamed, else estimated from the time it has run. */
  protected generatedOf(s: ItemState, now: number): number {
    if (s.progressAt >= 0) return s.generated;
    const e = this.endpoints[s.endpoint] as EndpointState;
    return Math.max(0, Math.floor((now - s.releasedAt) / e.iterationSeconds));
  }

  /** Predicted tokens still to come for an in-flight request. */
  protected remainingOf(s: ItemState, now: number): number {
    return this.config.predictor.remaining(s.query, this.generatedOf(s, now));
  }

  /** Predicted work still to do for an in-flight request (its work × the fraction of tokens left). */
  protected remainingWorkOf(s: ItemState, now: number): number {
    const left = this.remainingOf(s, now);
    const total = Math.max(left + this.generatedOf(s, now), 1);
    return (s.work * left) / total;
  }

  /** Policies decide here; `release` records each decision. */
  protected abstract choose(now: number, out: Release[]): void;

  protected release(s: ItemState, endpoint: number, now: number, out: Release[]): void {
    s.state = "running";
    s.endpoint = endpoint;
    s.releasedAt = now;
    this.queuedCount--;
    (this.endpoints[endpoint] as EndpointState).running.add(s);
    out.push({ index: s.item.index, endpoint });
  }

  take(now: number): Release[] {
    const out: Release[] = [];
    if (this.queuedCount > 0) this.choose(now, out);
    return out;
  }

  wakeAt(): number | null {
    return null;
  }

  progress(index: number, generated: number, now: number): void {
    const s = this.byIndex.get(index);
    if (s?.state !== "running") return;
    const e = this.endpoints[s.endpoint] as EndpointState;
    if (s.progressAt >= 0 && generated > s.generated && now > s.progressAt) {
      const perToken = (now - s.progressAt) / (generated - s.generated);
      e.iterationSeconds = e.measured ? 0.8 * e.iterationSeconds + 0.2 * perToken : perToken;
      e.measured = true;
    }
    s.progressAt = now;
    s.generated = generated;
  }

  finished(index: number, outputTokens: number | null, now: number): void {
    const s = this.byIndex.get(index);
    if (s?.state !== "running") return;
    s.state = "done";
    const e = this.endpoints[s.endpoint] as EndpointState;
    e.running.delete(s);
    if (outputTokens !== null && outputTokens > 0) {
      this.config.predictor.observe({ promptTokens: s.item.promptTokens, outputTokens });
      // without streamed progress, completions bound the iteration time from above: use them until tokens stream
      if (s.progressAt < 0 && !e.measured && now > s.releasedAt)
        e.iterationSeconds = Math.max(1e-6, (now - s.releasedAt) / outputTokens);
    }
    this.onFinished(s, now);
  }

  /** Hook for policies that re-plan on completions. */
  protected onFinished(_s: ItemState, _now: number): void {}

  predicted(index: number): number {
    return this.byIndex.get(index)?.predicted ?? 0;
  }

  pending(): number {
    return this.queuedCount;
  }

  inFlight(endpoint: number): number {
    return this.endpoints[endpoint]?.running.size ?? 0;
  }

  abstract plan(): DispatchPlan;
}
