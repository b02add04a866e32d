import { PipelineClient, PipelineError, TaskState } from '@sidex/client';
import { EXIT } from './exit-codes.js';
import { apiKey, exitForCode, serverUrl, type RemoteOptions } from './remote.js';
import type { Ui } from './ui.js';

/** Exit code of a failed pipeline call, by its code. */
export function pipelineExit(code: string): number {
  if (code === 'TASK_NOT_FOUND' || code === 'PIPE_NOT_FOUND') return EXIT.notFound;
  if (code === 'TOO_MANY_AUTH_ATTEMPTS') return EXIT.unauthorized;
  if (['CONNECTION_FAILED', 'CONNECTION_LOST', 'NOT_CONNECTED', 'TIMEOUT', 'CLOSED'].includes(code)) return EXIT.unavailable;
  if (code === 'FRAME_TOO_LARGE' || code === 'ITEM_TOO_LARGE') return EXIT.usage;
  return exitForCode(code);
}

/** Connects a PipelineClient to `--url` / SIDEX_URL with the CLI's key, runs `body`, disconnects; failures become exit codes. */
export async function withPipelineClient(options: RemoteOptions, ui: Ui, body: (client: PipelineClient) => Promise<number>): Promise<number> {
  const url = serverUrl(options);
  const client = new PipelineClient({ uri: url, auth: apiKey(options) ?? '', env: {}, connectTimeout: 5000, clientName: 'sidex CLI' });
  try {
    await ui.during(`connecting to ${url}`, client.connect());
    return await body(client);
  } catch (err) {
    if (!(err instanceof PipelineError)) throw err;
    ui.error(err.message, err.code);
    return pipelineExit(err.code);
  } finally {
    await client.disconnect();
  }
}

/** Exit code of a task that has ended: 0 completed, 130 terminated (CANCELLED), 1 its process failed. */
export function exitForTask(status: { state: number; exitCode: number }): number {
  if (status.state === TaskState.CANCELLED) return EXIT.stopped;
  return status.exitCode === 0 ? EXIT.completed : EXIT.failed;
}

export const hasEnded = (status: { state: number }) => status.state === TaskState.COMPLETED || status.state === TaskState.CANCELLED;
