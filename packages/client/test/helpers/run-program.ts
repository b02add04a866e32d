import { execFile } from 'node:child_process';

export interface ProgramRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a Node program (a seed example) as a child process to its end, within 45 s, with `env` added to this process's environment. */
export function runProgram(file: string, env: Record<string, string>, cwd?: string): Promise<ProgramRun> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [file],
      { ...(cwd ? { cwd } : {}), env: { ...process.env, ...env }, timeout: 45_000 },
      (err, stdout, stderr) => resolve({ code: child.exitCode ?? (err ? 1 : 0), stdout, stderr }),
    );
  });
}
