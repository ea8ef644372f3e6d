import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { commands } from "../../src/cli/commands.js";
import { buildProgram } from "../../src/cli/main.js";

describe("the command registry", () => {
  it("each entry's module registers exactly the command the entry names, with examples in its help", async () => {
    for (const entry of commands) {
      const program = new Command("frugal");
      const { command } = await entry.load();
      command.register(program);
      expect(program.commands.map((c) => c.name())).toEqual([entry.name]);
      const help = program.commands[0]?.helpInformation() ?? "";
      expect(help.length, entry.name).toBeGreaterThan(0);
      expect(entry.example.startsWith(`frugal ${entry.name}`), entry.name).toBe(true);
    }
  });

  it("loads only the command being run; the top-level help and unknown commands get all of them", async () => {
    expect((await buildProgram(["solve", "x.lp"])).commands.map((c) => c.name())).toEqual(["solve"]);
    expect((await buildProgram(["--version"])).commands).toEqual([]);
    const all = commands.map((c) => c.name);
    expect((await buildProgram(["--help"])).commands.map((c) => c.name())).toEqual(all);
    expect((await buildProgram(["bogus"])).commands.map((c) => c.name())).toEqual(all);
  });
});
