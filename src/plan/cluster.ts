/**
 * Clusters: devices (memory capacity, relative speed) and one link model (bandwidth, latency)
 * between any two distinct devices. Transfer time of `bytes` = latency + bytes / bandwidth.
 */
import { z } from "zod";
import { parseWith } from "../errors/index.js";
import { PLAN_LIMITS as L } from "./limits.js";

/** One device of a cluster file. */
export const DeviceSchema = z
  .object({
    id: z.string().min(1).optional(),
    memoryBytes: z
      .number()
      .positive()
      .max(L.bytes, `must be at most ${L.bytes} bytes`)
      .optional()
      .describe("activation memory capacity (default: cluster memoryBytes)"),
    speed: z
      .number()
      .min(1 / L.speed, `must be at least ${1 / L.speed}`)
      .max(L.speed, `must be at most ${L.speed}`)
      .default(1)
      .describe("relative speed; a pass takes time / speed"),
  })
  .strict();

/** The cluster file format. */
export const ClusterSchema = z
  .object({
    $schema: z.string().optional().describe("path or URL of this JSON Schema (ignored)"),
    name: z.string().default("cluster"),
    devices: z
      .union([
        z.number().int().positive().max(L.devices, `at most ${L.devices} devices`),
        z
          .array(DeviceSchema)
          .min(1)
          .max(L.devices, `at most ${L.devices} devices`)
          .superRefine((list, ctx) => {
            const seen = new Map<string, number>();
            for (const [i, d] of list.entries()) {
              if (d.id === undefined) continue;
              const first = seen.get(d.id);
              if (first !== undefined)
                ctx.addIssue({
                  code: "custom",
                  path: [i, "id"],
                  message: `device id "${d.id}" is also the id of devices[${first}]`,
                });
              else seen.set(d.id, i);
            }
          }),
      ])
      .describe(`a count or a list of devices (at most ${L.devices})`),
    memoryBytes: z
      .number()
      .positive()
      .max(L.bytes, `must be at most ${L.bytes} bytes`)
      .optional()
      .describe("default per-device activation capacity (omit: unlimited)"),
    link: z
      .object({
        bandwidthBytesPerSecond: z
          .number()
          .min(1, "must be at least 1 byte per second")
          .max(L.bytes, `must be at most ${L.bytes} bytes`)
          .default(1e12),
        latencySeconds: z
          .number()
          .nonnegative()
          .max(L.seconds, `must be at most ${L.seconds} seconds`)
          .default(0),
      })
      .strict()
      .default({ bandwidthBytesPerSecond: 1e12, latencySeconds: 0 }),
  })
  .strict();

/** A cluster file as written (before defaults). */
export type ClusterInput = z.input<typeof ClusterSchema>;

/** One device: its id, activation memory capacity and relative speed. */
export interface Device {
  id: string;
  /** Capacity; +Infinity when unlimited. */
  memoryBytes: number;
  speed: number;
}

/** A validated cluster: devices and one link model between any two of them. */
export interface Cluster {
  name: string;
  devices: Device[];
  bandwidth: number;
  latency: number;
}

/** Validates a cluster file's data; errors name `file` and the path inside it. */
export function parseCluster(data: unknown, file = "cluster"): Cluster {
  const c = parseWith(ClusterSchema, data, file);
  return normalizeCluster(c);
}

/** A parsed cluster file with defaults applied (device list, capacities). */
export function normalizeCluster(c: z.output<typeof ClusterSchema>): Cluster {
  const def = c.memoryBytes ?? Number.POSITIVE_INFINITY;
  const list =
    typeof c.devices === "number"
      ? Array.from({ length: c.devices }, () => ({ speed: 1 }) as z.output<typeof DeviceSchema>)
      : c.devices;
  return {
    name: c.name,
    devices: list.map((d, i) => ({
      id: d.id ?? `gpu${i}`,
      memoryBytes: d.memoryBytes ?? def,
      speed: d.speed,
    })),
    bandwidth: c.link.bandwidthBytesPerSecond,
    latency: c.link.latencySeconds,
  };
}

/** Transfer time between two devices (0 on the same device). */
export function transferTime(cluster: Cluster, from: number, to: number, bytes: number): number {
  if (from === to) return 0;
  return cluster.latency + bytes / cluster.bandwidth;
}
