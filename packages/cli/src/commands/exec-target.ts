// Where `sidex exec` runs its command: on a server through the SDK, or on an
// engine embedded in the CLI. Both give the same five things.
import type { CommandOptions, Reply, SidexClient, StartFields, StatusFields, StdinWrittenFields } from '@sidex/client';
import type { Sidex } from 'sidex';

export interface ExecTarget {
  start(argv: string[], options: CommandOptions): Promise<Reply<StartFields>>;
  /** The execution's output, byte for byte, until it ends. */
  output(id: string): AsyncIterable<{ stream: 'stdout' | 'stderr'; data: Buffer }>;
  writeStdin(id: string, data: Buffer, close: boolean): Promise<Reply<StdinWrittenFields>>;
  wait(id: string): Promise<Reply<StatusFields>>;
  stop(id: string, options: { graceMs?: number; force?: boolean }): void;
}

export function remoteTarget(client: SidexClient): ExecTarget {
  const api = client.sideExecution;
  return {
    start: (argv, options) => api.startWithCommand(argv, options),
    async *output(id) {
      for await (const line of client.logs(id, { follow: true, encoding: 'base64' })) yield { stream: line.stream, data: Buffer.from(line.data, 'base64') };
    },
    writeStdin: (id, data, close) => api.writeStdin(id, data, { close }),
    wait: (id) => client.wait(id),
    stop: (id, options) => void api.stop(id, options),
  };
}

/** An engine in this process: the in-process Codebolt API, whose methods are the SDK's. */
export function embeddedTarget(sidex: Sidex): ExecTarget {
  const api = sidex.sideExecution;
  return {
    start: (argv, options) => api.startWithCommand(argv, options) as Promise<Reply<StartFields>>,
    output: (id) => sidex.services.sideExecution.logBytes(id, { follow: true }),
    writeStdin: (id, data, close) => api.writeStdin(id, data, { close }) as Promise<Reply<StdinWrittenFields>>,
    wait: (id) => api.wait(id),
    stop: (id, options) => void api.stop(id, options),
  };
}
