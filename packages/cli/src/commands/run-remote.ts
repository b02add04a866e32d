import { followToEnd } from '../follow.js';
import { stopOptions } from '../stop-replies.js';
import { withClient, type RemoteOptions } from '../remote.js';
import { failed } from '../remote-command.js';
import { Ui } from '../ui.js';

export interface RemoteRun {
  code: string;
  /** What the code's errors call it (the file it was read from). */
  filename?: string;
  params?: Record<string, unknown>;
  timeout?: number;
  grace?: number;
  memory?: number;
  maxOutput?: number;
  json?: boolean;
}

/** The start options of `sidex run`'s limit flags, embedded or remote. */
export function limitOptions(run: Pick<RemoteRun, 'memory' | 'maxOutput'>): { memoryLimitMb?: number; outputLimitMb?: number } {
  return { ...(run.memory ? { memoryLimitMb: run.memory } : {}), ...(run.maxOutput ? { outputLimitMb: run.maxOutput } : {}) };
}

/** `sidex run` against a server: start, stream the output, and end like the execution ended. Ctrl-C stops it. */
export async function runRemote(run: RemoteRun, remote: RemoteOptions): Promise<number> {
  const ui = new Ui(Boolean(run.json));
  return withClient(remote, ui, async (client) => {
    const api = client.sideExecution;
    const started = await api.startWithCode(run.code, run.params, run.timeout, {
      ...limitOptions(run),
      ...(run.grace !== undefined ? { graceMs: run.grace } : {}),
      ...(run.filename !== undefined ? { filename: run.filename } : {}),
    });
    const source = { name: run.filename ?? 'inline', code: run.code };
    if (!started.success) return failed(ui, started, source);
    const id = started.sideExecutionId;
    return followToEnd(ui, client, id, (force) => void api.stop(id, stopOptions({ force })), source);
  });
}
