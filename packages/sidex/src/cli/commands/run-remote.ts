import { EXIT } from '../exit-codes.js';
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
    let interrupts = 0;
    const onSignal = () => {
      interrupts++;
      process.stderr.write(interrupts === 1 ? '\nsidex: stopping (Ctrl-C again to force)\n' : '\nsidex: forcing\n');
      void api.stop(id, interrupts === 1 ? {} : { force: true });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      for await (const line of client.logs(id, { follow: true })) {
        (line.stream === 'stdout' ? process.stdout : process.stderr).write(line.data);
      }
      return reportEnd(ui, await client.wait(id));
    } catch (err) {
      ui.error(`lost ${id}: ${(err as Error).message}`);
      return EXIT.unavailable;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  });
}
