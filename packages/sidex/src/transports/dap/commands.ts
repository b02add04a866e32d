// The commands of the RocketRide dialect (docs/rocketride.md), each a call
// of the in-process pipeline API with the request's arguments (which parses
// them and calls the pipeline service); the reply body is what it answers. Only `auth` and `rrext_public_*` are served before the
// connection has authenticated.
import { SidexError } from '../../errors.js';
import type { FileStore } from '../../services/pipeline/file-store.js';
import type { PipelineListener } from '../../services/pipeline/monitors.js';
import type { PipelineService } from '../../services/pipeline-service.js';
import type { AuthGate } from './auth-gate.js';
import { PipelineApi } from './pipeline-api.js';
import type { ClientMonitors, ClientPipes } from './client-state.js';

/** What a command may use of the connection that asked. */
export interface CommandContext {
  gate: AuthGate;
  monitors: ClientMonitors;
  pipes: ClientPipes;
  /** A listener that sends a monitor's events to this client, the first ones after this request's reply. */
  listener(): PipelineListener;
  /** This connection, as the owner of the file handles it opens. */
  connectionId: string;
}

/** A reply that carries bytes: sent as a binary frame, the bytes as `arguments.data` (as RocketRide's fs_read). */
export class BinaryReply {
  constructor(
    readonly body: object,
    readonly data: Uint8Array,
  ) {}
}

export interface DapCommand {
  /** Served before authentication. */
  public?: true;
  run(args: Record<string, unknown>, context: CommandContext): Promise<object> | object;
}

export interface ServerInfo {
  version: string;
}

const withoutToken = ({ token: _token, ...rest }: Record<string, unknown>) => rest;

export function dapCommands(pipelines: PipelineService, info: ServerInfo): Map<string, DapCommand> {
  const api = new PipelineApi(pipelines);
  const commands: Record<string, DapCommand> = {
    auth: { public: true, run: (args, { gate }) => gate.authenticate(args) },
    deauth: {
      run: (_args, { gate, monitors }) => {
        monitors.clear();
        gate.deauthenticate();
        return {};
      },
    },
    rrext_public_probe: {
      public: true,
      // RocketRide's form: server mode tags in `capabilities` ('oss': no accounts, one API key), the
      // public apps (sidex serves none); what sidex adds is under `features`.
      run: () => ({ name: 'sidex', version: info.version, platform: process.platform, capabilities: ['oss'], apps: [], features: ['pipelines', 'terminate-drain', 'codebolt'] }),
    },
    rrext_ping: { run: () => ({ pong: true }) },

    execute: { run: (args) => api.use(args) },
    // RocketRide's client sends token '*' with restart: no particular task, look it up by projectId and source.
    restart: { run: (args) => api.restart(args.token === '*' ? withoutToken(args) : args) },
    terminate: { run: (args) => api.terminate(args) },
    rrext_get_task_status: { run: (args) => api.getTaskStatus(args) },
    rrext_get_tasks: { run: () => api.getTasks() },
    rrext_validate: { run: (args) => api.validate(withoutToken(args)) },
    rrext_get_pipeline: { run: (args) => api.getPipeline(args) },
    rrext_get_token: { run: (args) => api.getToken(withoutToken(args)) },
    rrext_services: { run: (args) => api.services(args) },
    rrext_store: { run: (args, { connectionId }) => store(pipelines.files, connectionId, args) },

    rrext_process: {
      run: async (args, { pipes }) => {
        // Checked first: a refused close must leave the pipe the client's, to be abandoned if it goes away.
        const input = api.processInput(args);
        if (input.subcommand === 'close' || input.subcommand === 'abandon') pipes.closed(input.token, input.pipe_id); // from now on the item is the task's
        const reply = await api.processChecked(input);
        if (input.subcommand === 'open') pipes.opened(input.token, (reply as { pipe_id: number }).pipe_id);
        return reply;
      },
    },

    rrext_monitor: {
      run: async (args, { monitors, listener }) => {
        const key = typeof args.token === 'string' ? args.token : `p.${String(args.projectId)}.${String(args.source)}`;
        monitors.checkRoom(key);
        const unsubscribe = await api.monitor(args, listener());
        if (unsubscribe.empty) {
          unsubscribe();
          monitors.replace(unsubscribe.key, undefined);
        } else {
          monitors.replace(unsubscribe.key, unsubscribe);
        }
        return {};
      },
    },
  };
  return new Map(Object.entries(commands));
}

/** `rrext_store`: the fs_* operations of RocketRide's file store. */
async function store(files: FileStore, owner: string, args: Record<string, unknown>): Promise<object> {
  const { subcommand } = args;
  switch (subcommand) {
    case 'fs_open':
      return files.open(owner, args.path, args.mode);
    case 'fs_read': {
      const data = await files.read(owner, args.handle, args.offset, args.length);
      return new BinaryReply({ size: data.length }, data);
    }
    case 'fs_write':
      return { bytesWritten: await files.write(owner, args.handle, args.data) };
    case 'fs_close':
      await files.close(owner, args.handle);
      return {};
    case 'fs_delete':
      await files.delete(args.path);
      return {};
    case 'fs_stat':
      return files.stat(args.path);
    case 'fs_list_dir':
      return files.listDir(args.path);
    case 'fs_mkdir':
      await files.mkdir(args.path);
      return {};
    case 'fs_rmdir':
      await files.rmdir(args.path, args.recursive);
      return {};
    case 'fs_rename':
      await files.rename(args.old_path, args.new_path);
      return {};
    default:
      throw new SidexError('INVALID_ARGUMENT', `subcommand: ${subcommand === undefined ? 'is required' : `"${String(subcommand)}" is unknown`}: one of ${STORE_SUBCOMMANDS.join(', ')}`, { field: 'subcommand' });
  }
}

const STORE_SUBCOMMANDS = ['fs_open', 'fs_read', 'fs_write', 'fs_close', 'fs_delete', 'fs_stat', 'fs_list_dir', 'fs_mkdir', 'fs_rmdir', 'fs_rename'];
