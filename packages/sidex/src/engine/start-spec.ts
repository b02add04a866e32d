import path from 'node:path';
import { SidexError } from '../errors.js';
import { newExecutionId } from '../model/ids.js';
import { emptyOutput, type ExecutionRecord, type ExecutionSource } from '../model/record.js';
import type { StartSpec } from './execution.js';
import { checkCommand } from './command/command-spec.js';
import { checkInlineSyntax } from './inline-syntax.js';
import { MAX_CPU_LIMIT, MAX_PIDS_LIMIT, MIN_CPU_LIMIT, MIN_PIDS_LIMIT } from './limits/limit-bounds.js';
import type { Isolation } from './sandbox/isolation.js';
import type { SandboxNetwork } from './sandbox/launch.js';
import type { PreparedInline } from '../runtime/inline/prepare-inline.js';

/** What a command start is checked against. */
export interface CommandRoom {
  /** Paths no execution sees: a cwd inside them is refused. Undefined: the cwd is on another machine (a cluster's worker), which checks it. */
  hidden: readonly string[] | undefined;
  /** Node's permission model is on without child processes: no program may be started. */
  childProcessesForbidden: boolean;
}

/** Bad input throws before anything is written or spawned. Answers inline code prepared to run. */
export function checkStart(spec: StartSpec, isolation: Isolation, room: CommandRoom): PreparedInline | undefined {
  if (spec.kind !== 'inline' && spec.filename !== undefined) {
    const own = spec.kind === 'block' ? "an action block's files have their own names" : 'a program has its own name';
    throw new SidexError('INVALID_ARGUMENT', `options.filename: names inline code in its errors; ${own}`, {
      field: 'options.filename',
    });
  }
  if (spec.kind === 'command') {
    if (room.childProcessesForbidden) {
      throw new SidexError('COMMANDS_FORBIDDEN', 'commands cannot run on this server: its permission model (--permissions) forbids child processes', { field: 'command' });
    }
    checkCommand(spec, room.hidden);
  }
  const prepared = spec.kind === 'inline' ? checkInlineSyntax(spec.code ?? '', spec.filename) : undefined;
  checkNetworkIsolation(spec.network, isolation, 'options.network');
  checkLimits(spec);
  checkSchedule(spec);
  return prepared;
}

/** Retries are the cluster's (docs/cluster.md): one machine runs each start once, and says so rather than ignore them. */
function checkSchedule(spec: StartSpec): void {
  if (spec.schedule?.retries) {
    throw new SidexError('INVALID_ARGUMENT', 'options.retries: retries are run by a cluster (sidex serve --queue); this server runs each start once', {
      field: 'options.retries',
    });
  }
}

/** Limits go to kernel files: a bad value is refused before anything starts (services check the same with their schemas). */
function checkLimits(spec: StartSpec): void {
  const checks: [keyof StartSpec, number | undefined, (n: number) => boolean, string][] = [
    ['memoryLimitBytes', spec.memoryLimitBytes, (n) => Number.isSafeInteger(n) && n > 0, 'a positive whole number of bytes'],
    ['outputLimitBytes', spec.outputLimitBytes, (n) => Number.isSafeInteger(n) && n > 0, 'a positive whole number of bytes'],
    ['pidsLimit', spec.pidsLimit, (n) => Number.isInteger(n) && n >= MIN_PIDS_LIMIT && n <= MAX_PIDS_LIMIT, `a whole number from ${MIN_PIDS_LIMIT} to ${MAX_PIDS_LIMIT}`],
    ['cpuLimit', spec.cpuLimit, (n) => Number.isFinite(n) && n >= MIN_CPU_LIMIT && n <= MAX_CPU_LIMIT, `a number of cores from ${MIN_CPU_LIMIT} to ${MAX_CPU_LIMIT}`],
  ];
  for (const [field, value, valid, what] of checks) {
    if (value !== undefined && (typeof value !== 'number' || !valid(value))) {
      throw new SidexError('INVALID_ARGUMENT', `${field}: must be ${what} (got ${String(value)})`, { field });
    }
  }
}

/** A network narrower than the host's needs a sandbox: never a silent run with the whole network. */
export function checkNetworkIsolation(network: SandboxNetwork | undefined, isolation: Isolation, field: string): void {
  if (network === undefined || network === 'all' || isolation.mode === 'sandbox') return;
  throw new SidexError('NETWORK_UNAVAILABLE', `${field}: only "all" is possible without a sandbox (isolation is process: ${isolation.reason})`, { field });
}

export function blockDir(spec: StartSpec): string {
  return spec.dir ?? path.dirname(spec.entry ?? '.');
}

/** The engine's defaults for what a start leaves out. */
export interface RecordDefaults {
  memoryLimitBytes?: number | undefined;
  outputLimitBytes: number;
  pidsLimit: number;
  worker?: string | undefined;
}

export function newRecord(spec: StartSpec, defaults: RecordDefaults): ExecutionRecord {
  const memoryLimitBytes = spec.memoryLimitBytes ?? defaults.memoryLimitBytes;
  const pidsLimit = spec.pidsLimit ?? defaults.pidsLimit;
  return {
    id: spec.queued?.id ?? newExecutionId(spec.prefix),
    kind: spec.kind,
    name: spec.name,
    ...(spec.dir ? { path: spec.dir } : {}),
    params: spec.params ?? {},
    ...(spec.timeoutMs !== undefined ? { timeoutMs: spec.timeoutMs } : {}),
    ...(memoryLimitBytes !== undefined ? { memoryLimitBytes } : {}),
    outputLimitBytes: spec.outputLimitBytes ?? defaults.outputLimitBytes,
    ...(pidsLimit ? { pidsLimit } : {}),
    ...(spec.cpuLimit !== undefined ? { cpuLimit: spec.cpuLimit } : {}),
    status: 'queued',
    createdAt: spec.queued?.createdAt ?? Date.now(),
    ...(defaults.worker ? { worker: defaults.worker } : {}),
    memory: { current: 0, peak: 0 },
    cpuMicros: 0,
    ...emptyOutput(),
    ...(spec.resumedFrom ? { resumedFrom: spec.resumedFrom } : {}),
    source: sourceOf(spec),
    meta: spec.meta ?? {},
  };
}

function sourceOf(spec: StartSpec): ExecutionSource {
  switch (spec.kind) {
    case 'inline':
      return { type: 'inline', code: spec.code ?? '', ...(spec.filename !== undefined ? { filename: spec.filename } : {}) };
    case 'command':
      return { type: 'command', argv: spec.argv ?? [], ...(spec.cwd ? { cwd: spec.cwd } : {}) };
    default:
      return { type: 'block', entry: spec.entry ?? '', ...(spec.dir ? { dir: spec.dir } : {}) };
  }
}
