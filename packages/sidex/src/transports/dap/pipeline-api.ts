// The pipeline dialect in process (`sidex.pipelines`, docs/rocketride.md): one
// method per DAP command, taking that command's arguments as RocketRide clients
// send them (a bare token where a token is all a call needs) and answering its
// reply body. Arguments are parsed here, once, with the DAP's schemas, so an
// error names the field as it was sent; then the typed pipeline service is
// called. The DAP command table and the /task routes call the same methods.
import { SidexError } from '../../errors.js';
import { typesOfBitmask, typesOfNames, type MonitorType } from '../../engine/pipelines/events.js';
import type { ItemResult } from '../../runtime/pipeline-host/pipeline.js';
import type { ProcessInput } from '../../services/pipeline/inputs.js';
import type { PipelineListener } from '../../services/pipeline/monitors.js';
import type { PipelineService } from '../../services/pipeline-service.js';
import { parseArgs, withToken } from './parse.js';
import { CloseArgs, MonitorArgs, OpenArgs, ProcessArgs, ProjectArgs, RestartArgs, TerminateArgs, TokenArgs, UseArgs, ValidateArgs, WriteArgs } from './requests.js';

export class PipelineApi {
  constructor(private readonly pipelines: PipelineService) {}

  /** `execute`. */
  async use(args: unknown): ReturnType<PipelineService['use']> {
    return this.pipelines.use(parseArgs(UseArgs, args));
  }

  /** `terminate`: `terminate(token)` or `terminate({token, drainMs?, force?})`. */
  async terminate(args: unknown): ReturnType<PipelineService['terminate']> {
    return this.pipelines.terminate(parseArgs(TerminateArgs, withToken(args)));
  }

  /** `restart`. */
  async restart(args: unknown): ReturnType<PipelineService['restart']> {
    return this.pipelines.restart(parseArgs(RestartArgs, args ?? {}));
  }

  /** `rrext_get_task_status`. */
  async getTaskStatus(args: unknown): ReturnType<PipelineService['getTaskStatus']> {
    return this.pipelines.getTaskStatus(parseArgs(TokenArgs, withToken(args)));
  }

  /** `rrext_get_pipeline`. */
  getPipeline(args: unknown): ReturnType<PipelineService['getPipeline']> {
    return this.pipelines.getPipeline(parseArgs(TokenArgs, withToken(args)));
  }

  /** `rrext_get_token`. */
  getToken(args: unknown): ReturnType<PipelineService['getToken']> {
    return this.pipelines.getToken(parseArgs(ProjectArgs, args));
  }

  /** `rrext_services`: all of them, or the one `service` names. */
  services(args?: unknown): object {
    const service = args && typeof args === 'object' ? (args as { service?: unknown }).service : undefined;
    if (service === undefined || service === null) return this.pipelines.services();
    if (typeof service !== 'string' || service === '') throw new SidexError('INVALID_ARGUMENT', 'service: is required: a service name (as rrext_services without it lists them)', { field: 'service' });
    return this.pipelines.services({ service });
  }

  /** `rrext_get_tasks`. */
  getTasks(): ReturnType<PipelineService['getTasks']> {
    return this.pipelines.getTasks();
  }

  /** `rrext_validate`. */
  validate(args: unknown): ReturnType<PipelineService['validate']> {
    return this.pipelines.validate(parseArgs(ValidateArgs, args));
  }

  /** `rrext_process`: open, write, close or abandon, by `subcommand`. */
  async process(args: unknown): ReturnType<PipelineService['process']> {
    return this.processChecked(this.processInput(args));
  }

  /** `rrext_process`'s arguments checked, before anything is done with them. */
  processInput(args: unknown): ProcessInput {
    return processArgs(args);
  }

  /** `rrext_process` with arguments `processInput` has checked. */
  async processChecked(input: ProcessInput): ReturnType<PipelineService['process']> {
    return this.pipelines.process(input);
  }

  async open(args: unknown): ReturnType<PipelineService['open']> {
    return this.pipelines.open(parseArgs(OpenArgs, args));
  }

  async write(args: unknown): ReturnType<PipelineService['write']> {
    return this.pipelines.write(parseArgs(WriteArgs, args));
  }

  async close(args: unknown): ReturnType<PipelineService['close']> {
    return this.pipelines.close(parseArgs(CloseArgs, args));
  }

  async abandon(args: unknown): ReturnType<PipelineService['abandon']> {
    return this.pipelines.abandon(parseArgs(CloseArgs, args));
  }

  /** The client's `send`: one item, as open, write and close. */
  async send(token: unknown, data: unknown, object: Record<string, unknown> = {}, mimeType?: string): Promise<ItemResult> {
    const item = parseArgs(WriteArgs, { token, pipe_id: 1, data }); // token and data are checked before an item is opened
    const opening = parseArgs(OpenArgs, { token, object, ...(mimeType ? { mimeType } : {}) });
    return this.pipelines.send(item.token, item.data, opening.object, opening.mimeType);
  }

  /** `rrext_monitor`: `{token | '*' | projectId and source, types | listenType}`. */
  async monitor(args: unknown, listener: PipelineListener): ReturnType<PipelineService['monitor']> {
    const input = parseArgs(MonitorArgs, args);
    if (typeof listener !== 'function') throw new SidexError('INVALID_ARGUMENT', 'listener: must be a function', { field: 'listener' });
    const types = monitorTypes(input.types ?? input.listenType ?? 0);
    const target = input.token !== undefined ? { token: input.token } : { projectId: input.projectId!, source: input.source! };
    return this.pipelines.monitor({ target, types }, listener);
  }
}

/** rrext_process's arguments, as the schema of its subcommand takes them. */
function processArgs(args: unknown): ProcessInput {
  const { subcommand, ...rest } = parseArgs(ProcessArgs, args);
  // CloseArgs takes no subcommand 'abandon'.
  if (subcommand === 'abandon') return { ...parseArgs(CloseArgs, rest), subcommand };
  if (subcommand === 'open') return { ...parseArgs(OpenArgs, args), subcommand };
  if (subcommand === 'write') return { ...parseArgs(WriteArgs, args), subcommand };
  return { ...parseArgs(CloseArgs, args), subcommand };
}

/** The monitor types of `types` as RocketRide takes it: names, or a bitmask (number or digits). */
function monitorTypes(types: readonly string[] | number | string): MonitorType[] {
  if (Array.isArray(types)) return typesOfNames(types);
  return typesOfBitmask(Number(types));
}
