import { EXIT } from '../exit-codes.js';
import { stopOnInterrupt } from '../interrupts.js';
import { reportEnd } from '../final-status.js';
import { withClient, type RemoteOptions } from '../remote.js';
import { failed } from '../remote-command.js';
import { Ui } from '../ui.js';

export interface RemoteRun {
  code: string;
  params?: Record<string, unknown>;
  timeout?: number;
  grace?: number;
  memory?: number;
  json?: boolean;
}

/** `sidex run` against a server: start, stream the output, and end like the execution ended. Ctrl-C stops it. */
export async function runRemote(run: RemoteRun, remote: RemoteOptions): Promise<number> {
  const ui = new Ui(Boolean(run.json));
  return withClient(remote, ui, async (client) => {
    const api = client.sideExecution;
    const started = await api.startWithCode(run.code, run.params, run.timeout, {
      ...(run.memory ? { memoryLimitMb: run.memory } : {}),
      ...(run.grace !== undefined ? { graceMs: run.grace } : {}),
    });
    if (!started.success) return failed(ui, started);
    const id = started.sideExecutionId;
    const stopListening = stopOnInterrupt((force) => {
      void api.stop(id, force ? { force: true } : {});
      return true;
    });
    try {
      for await (const line of client.logs(id, { follow: true })) {
        (line.stream === 'stdout' ? process.stdout : process.stderr).write(line.data);
      }
      return reportEnd(ui, await client.wait(id));
    } catch (err) {
      ui.error(`lost ${id}: ${(err as Error).message}`);
      return EXIT.unavailable;
    } finally {
      stopListening();
    }
  });
}
