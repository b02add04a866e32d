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

export async function embeddedTarget(sidex: Sidex): Promise<ExecTarget> {
  const { startSideExecutionReply, writeStdinReply } = await import('sidex/services'); // the server's code only when embedded
  const api = sidex.sideExecution;
  return {
    start: (argv, { cwd, env, stdin, timeout, ...options }) =>
      startSideExecutionReply(api, sidex.commands, {
        command: argv,
        ...(cwd !== undefined ? { cwd } : {}),
        ...(env !== undefined ? { env } : {}),
        // The CLI only ever asks for an open stdin, or none.
        ...(stdin !== undefined ? { stdin: { open: true } } : {}),
        ...(timeout !== undefined ? { timeout } : {}),
        options,
      }) as Promise<Reply<StartFields>>,
    output: (id) => api.logBytes(id, { follow: true }),
    writeStdin: (id, data, close) => writeStdinReply(sidex.commands, { sideExecutionId: id, data: data.toString('base64'), encoding: 'base64', close }),
    wait: (id) => api.wait(id),
    stop: (id, options) => void api.stop(id, options),
  };
}
