/**
 * Clusters: devices (memory capacity, relative speed) and one link model (bandwidth, latency)
 * between any two distinct devices. Transfer time of `bytes` = latency + bytes / bandwidth.
 */
import { z } from "zod";
import { parseWith } from "../errors/index.js";

/** One device of a cluster file. */
export const DeviceSchema = z
  .object({
    id: z.string().min(1).optional(),
    memoryBytes: z
      .number()
      .positive()
      .optional()
      .describe("activation memory capacity (default: cluster memoryBytes)"),
    speed: z.number().positive().default(1).describe("relative speed; a pass takes time / speed"),
  })
  .strict();

/** The cluster file format. */
export const ClusterSchema = z
  .object({
    $schema: z.string().optional().describe("path or URL of this JSON Schema (ignored)"),
    name: z.string().default("cluster"),
    devices: z
      .union([z.number().int().positive(), z.array(DeviceSchema).min(1)])
      .describe("a count or a list of devices"),
    memoryBytes: z
      .number()
      .positive()
      .optional()
      .describe("default per-device activation capacity (omit: unlimited)"),
    link: z
      .object({
        bandwidthBytesPerSecond: z.number().positive().default(1e12),
        latencySeconds: z.number().nonnegative().default(0),
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
