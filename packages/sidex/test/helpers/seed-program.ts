import fs from 'node:fs';
import { format } from 'node:util';

const IMPORT = "import codebolt from '@sidex/client/codebolt';";

export interface SeedRun {
  stdout: string[];
  stderr: string[];
  /** Every call the program made on `codebolt`, in the order the replies reached it. */
  calls: Array<{ method: string; args: unknown[]; reply: any }>;
  /** What it passed to process.exit, if it called it. */
  exitCode?: number;
}

class Exit {
  constructor(readonly code: number) {}
}

const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...params: string[]) => (...args: unknown[]) => Promise<void>;

/**
 * Runs a seed program (a Codebolt program whose only change is its import
 * line, as the client's tests run them over a server) in this process, with
 * `api`'s namespaces as its `codebolt`: so the in-process services can be
 * checked against the very same code. `settle` sees each reply before the
 * program does. After process.exit, calls never answer, as in a process that
 * has ended.
 */
export async function runSeedInProcess(
  file: string,
  api: Record<string, object>,
  settle: (method: string, reply: any) => Promise<void> = async () => {},
): Promise<SeedRun> {
  const source = fs.readFileSync(file, 'utf8');
  if (!source.startsWith(IMPORT)) throw new Error(`${file} does not begin with ${IMPORT}`);
  const run: SeedRun = { stdout: [], stderr: [], calls: [] };
  let exited = false;
  const namespace = (name: string, target: object) =>
    new Proxy(target as Record<string | symbol, unknown>, {
      get: (t, key) => {
        const fn = t[key];
        if (typeof fn !== 'function') return fn;
        return async (...args: unknown[]) => {
          if (exited) return new Promise(() => {});
          const reply = await fn.apply(t, args);
          await settle(String(key), reply);
          run.calls.push({ method: `${name}.${String(key)}`, args, reply });
          return reply;
        };
      },
    });
  const codebolt = Object.fromEntries(Object.entries(api).map(([name, target]) => [name, namespace(name, target)]));
  const console = {
    log: (...args: unknown[]) => run.stdout.push(format(...args)),
    error: (...args: unknown[]) => run.stderr.push(format(...args)),
  };
  const process = {
    exit: (code = 0) => {
      exited = true;
      throw new Exit(code);
    },
  };
  // The import line becomes the module's strictness, so line numbers stay.
  const body = `'use strict';${source.slice(IMPORT.length)}`;
  try {
    await new AsyncFunction('codebolt', 'console', 'process', body)(codebolt, console, process);
  } catch (err) {
    if (!(err instanceof Exit)) throw err;
    run.exitCode = err.code;
  }
  return run;
}
