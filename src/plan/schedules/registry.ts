/** The registry of baseline schedule generators, validated at registration. */
import { MisuseError } from "../../errors/index.js";
import { dualpipe, dualpipeV } from "./dualpipe.js";
import { gpipe } from "./gpipe.js";
import { interleaved } from "./interleaved.js";
import { oneFOneB } from "./one-f-one-b.js";
import type { BaselineInfo } from "./types.js";
import { zb1p } from "./zb1p.js";

const registry = new Map<string, BaselineInfo>();

export function registerBaseline(info: BaselineInfo): void {
  if (!/^[a-z0-9-]+$/.test(info.name))
    throw new MisuseError({
      where: `baseline ${info.name}`,
      what: "the name must be lowercase letters, digits and dashes",
      hint: "rename it",
    });
  if (registry.has(info.name))
    throw new MisuseError({
      where: `baseline ${info.name}`,
      what: "is registered twice",
      hint: "give it another name",
    });
  if (!/^https?:\/\//.test(info.reference))
    throw new MisuseError({
      where: `baseline ${info.name}`,
      what: "has no reference URL",
      hint: "cite the paper or source",
    });
  const p = info.params.safeParse({});
  if (!p.success)
    throw new MisuseError({
      where: `baseline ${info.name}`,
      what: "its params schema rejects the empty defaults",
      hint: "give every param a default",
    });
  registry.set(info.name, info);
}

for (const b of [gpipe, oneFOneB, interleaved, zb1p, dualpipe, dualpipeV])
  registerBaseline(b as BaselineInfo);

export function baselines(): BaselineInfo[] {
  return [...registry.values()];
}

export function getBaseline(name: string): BaselineInfo | undefined {
  return registry.get(name);
}
