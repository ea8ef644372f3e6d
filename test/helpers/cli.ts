/** Runs the real CLI (the built one, as installed: bin/frugal.js) in a child process and captures its streams. */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../../bin/frugal.js", import.meta.url));
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<CliRun> {
  return spawnCli(args, opts).done;
}

/** A CLI child process that a test can watch and signal (Ctrl-C is SIGINT to a real process). */
export interface LiveCli {
  /** Resolves when stderr has matched `re` (rejects if the process exits first). */
  waitForStderr(re: RegExp): Promise<void>;
  /** Sends a signal to the process. */
  signal(sig: NodeJS.Signals): void;
  /** Resolves with the exit code (128 + n when killed by signal n) and the streams. */
  done: Promise<CliRun>;
}

export function spawnCli(args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): LiveCli {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  const waiters: { re: RegExp; resolve: () => void; reject: (e: Error) => void }[] = [];
  const check = () => {
    for (const w of [...waiters])
      if (w.re.test(stderr)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
  };
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => {
    stderr += d;
    check();
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 110_000);
  const done = new Promise<CliRun>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, sig) => {
      clearTimeout(timer);
      for (const w of waiters.splice(0))
        w.reject(new Error(`exited before stderr matched ${w.re}; stderr: ${stderr}`));
      const bySignal = sig ? 128 + ({ SIGINT: 2, SIGTERM: 15, SIGKILL: 9 }[sig as string] ?? 0) : -1;
      resolve({ code: code ?? bySignal, stdout, stderr });
    });
  });
  return {
    waitForStderr: (re) =>
      new Promise<void>((resolve, reject) => {
        waiters.push({ re, resolve, reject });
        check();
      }),
    signal: (sig) => child.kill(sig),
    done,
  };
}
