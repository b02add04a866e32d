import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestServer } from './server.js';

const PROGRAM = fileURLToPath(new URL('../fixtures/codebolt-programs/calls.mjs', import.meta.url));

/** A call as a Codebolt program makes it: `codebolt[namespace][method](...args)`. */
export type ProgramCall = [namespace: 'sideExecution' | 'actionBlock' | 'capability', method: string, ...args: unknown[]];

/**
 * Runs a program importing `@sidex/client/codebolt` (the server and key in
 * SIDEX_URL and SIDEX_API_KEY, plus `env`, as Codebolt gives an agent its
 * variables) that makes `calls` in order; resolves with their replies.
 */
export function runCodeboltCalls(server: TestServer, calls: ProgramCall[], env: Record<string, string> = {}): Promise<Array<Record<string, any>>> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [PROGRAM],
      { env: { ...process.env, SIDEX_URL: server.url, SIDEX_API_KEY: server.apiKey, CALLS: JSON.stringify(calls), ...env }, timeout: 30_000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`the program failed: ${err.message}\n${stderr}`));
        else resolve(JSON.parse(stdout) as Array<Record<string, any>>);
      },
    );
  });
}
