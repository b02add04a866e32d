import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { SidexError } from '../errors.js';
import { numeric } from '../model/numeric-text.js';
import { memoryMbBounds, outputMbBounds, pidsLimitBounds } from '../services/schemas.js';


const pathList = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(',').map((p) => p.trim()).filter(Boolean) : v),
  z.array(z.string({ error: 'must be a list of directory paths' }).min(1, 'must not be empty'), { error: 'must be a list of directory paths' }),
);

const UID_RANGE = /^(\d{1,10})-(\d{1,10})$/;
const uidRange = z
  .string({ error: 'must be a range of uids, first-last' })
  .regex(UID_RANGE, 'must be a range of uids, first-last (such as 65536-99999)')
  .transform((v) => {
    const [, first, last] = UID_RANGE.exec(v)!;
    return { first: Number(first), count: Number(last) - Number(first) + 1 };
  })
  .refine((r) => r.count >= 1, 'must end at or after its first uid')
  .refine((r) => r.first >= 1, 'must not include 0 (root)')
  .refine((r) => r.first + r.count - 1 <= 2 ** 32 - 2, 'must end at or below 4294967294')
  .refine((r) => r.first > 65535 || r.first + r.count - 1 < 65535, 'must not include 65535 (the 16-bit -1, which some calls read as "no change")');

const HOST_NAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?)*$/;

/** A host name, or an IP address (IPv6 bracketed or not): nothing else. */
function isHostAlone(host: string): boolean {
  return net.isIP(host.replace(/^\[(.*)\]$/, '$1')) !== 0 || (HOST_NAME.test(host) && host.length <= 253);
}

/** Everything `sidex serve` can be told, after flags, environment and config file are merged. */
export const ServerConfigSchema = z
  .object({
    host: z.string({ error: 'must be a host name or IP address' }).min(1, 'must not be empty').default('127.0.0.1'),
    /**
     * The host at which executions reach this server (a Codebolt-built block
     * connects back to it): in a cluster, the name workers know this server by.
     * Default: the bound host (a wildcard address is reached on loopback).
     */
    advertiseHost: z
      .string({ error: 'must be a host name or IP address' })
      .refine(isHostAlone, 'must be a host name or IP address alone: no scheme, port or path')
      .refine((h) => !['0.0.0.0', '::', '[::]'].includes(h), 'must be an address this server is reached at, not a wildcard')
      .optional(),
    port: numeric(
      z
        .number({ error: 'must be a port number' })
        .int('must be a whole number')
        .min(0, 'must be between 0 and 65535 (0 picks a free port)')
        .max(65535, 'must be between 0 and 65535 (0 picks a free port)'),
    ).default(5565),
    dataDir: z.string({ error: 'must be a directory path' }).min(1, 'must not be empty').default('./.sidex'),
    project: z.string({ error: 'must be a directory path' }).min(1, 'must not be empty').optional(),
    store: z.string({ error: 'must be a store spec such as memory:' }).min(1, 'must not be empty').optional(),
    /** RocketRide's file store (rrext_store); default <dataDir>/store. A cluster's servers share one directory. */
    fileStore: z.string({ error: 'must be a directory path' }).min(1, 'must not be empty').optional(),
    apiKey: z.string({ error: 'must be a string' }).min(16, 'must be at least 16 characters').optional(),
    /** A key that opens /metrics and nothing else, for a Prometheus scraper. */
    metricsToken: z.string({ error: 'must be a string' }).min(16, 'must be at least 16 characters').optional(),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Server log to this file instead of stderr, rolled daily and by size. */
    logFile: z.string({ error: 'must be a file path' }).min(1, 'must not be empty').optional(),
    /** Size at which the log file is rolled, MB. */
    logFileMaxMb: numeric(z.number({ error: 'must be a number of MB' }).positive('must be a positive number of MB').max(100_000, 'must be at most 100000 MB')).default(10),
    /** Rolled log files kept besides the current one. */
    logFileKeep: numeric(z.number({ error: 'must be a whole number' }).int('must be a whole number').min(0, 'must be 0 or more').max(10_000, 'must be at most 10000')).default(7),
    /** Warm runtimes kept booted. */
    poolSize: numeric(z.number().int().min(0).max(64)).optional(),
    /** Executions running at once; more wait in the queue. */
    maxConcurrent: numeric(z.number({ error: 'must be a whole number' }).int('must be a whole number').min(1, 'must be at least 1').max(10_000, 'must be at most 10000')).optional(),
    /** Executions that may wait for a slot; a start beyond them is refused (QUEUE_FULL). */
    maxQueued: numeric(z.number({ error: 'must be a whole number' }).int('must be a whole number').min(0, 'must be 0 or more').max(1_000_000, 'must be at most 1000000')).optional(),
    /** Retention: keep executions of the last N days / the newest N / N MB of output (pruned in the background). */
    retainDays: numeric(z.number().positive('must be a positive number of days')).optional(),
    retainExecutions: numeric(z.number().int('must be a whole number').positive('must be positive')).optional(),
    retainLogMb: numeric(z.number().positive('must be a positive number of MB')).optional(),
    /** Default most output an execution may write, MB (a start may set its own). */
    outputLimitMb: numeric(outputMbBounds(z.number({ error: 'must be a number of MB' }))).optional(),
    /** Default memory limit of an execution's whole process tree, MB (a start may set its own; none when absent). */
    memoryLimitMb: numeric(memoryMbBounds(z.number({ error: 'must be a number of MB' }))).optional(),
    /** Default most processes and threads an execution may have at once (a start may set its own; 1024 when absent). */
    pidsLimit: numeric(pidsLimitBounds(z.number({ error: 'must be a whole number of processes' }))).optional(),
    /** Run executions under Node's permission model: each may read only its own scratch directory, the runtime and the block roots, write only its scratch directory, and start no child process. */
    permissions: z
      .preprocess((v) => (v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : v), z.boolean({ error: 'must be true or false' }))
      .default(false),
    /** `auto`: a bubblewrap sandbox per execution where the kernel allows it, else `process` (said at start and in /healthz). */
    isolation: z.enum(['auto', 'sandbox', 'process'], { error: 'must be auto, sandbox or process' }).default('auto'),
    /** Default network of an execution's sandbox; a start may choose its own. */
    network: z.enum(['all', 'none'], { error: 'must be all or none' }).default('all'),
    /** Under a root server: one host uid every sandbox runs as, shared (by default each runtime has its own uid, from sandboxUids). */
    sandboxUid: numeric(z.number({ error: 'must be a uid' }).int('must be a whole number').min(1, 'must not be 0 (root)').max(2 ** 32 - 2)).optional(),
    /** Under a root server: the host uids sandboxes run as, one per live runtime, `first-last` (default 65536-99999). */
    sandboxUids: uidRange.optional(),
    /** More directories every sandbox sees read-only / read-write (YAML lists, or comma-separated in the environment). */
    sandboxReadOnly: pathList.optional(),
    /** More directories that hold projects: listActionBlocks(projectPath) and block paths may point into them (and sandboxes see them read-only). */
    projectRoots: pathList.optional(),
    sandboxReadWrite: pathList.optional(),
    /** Grace period of the stops at shutdown, ms. */
    shutdownGraceMs: numeric(z.number().int().min(0).max(600_000)).default(5000),
    /** The cluster (docs/cluster.md): `redis://host:port[/db]`; `serve` then runs nothing itself and `worker` takes its work from there. */
    queue: z.string({ error: 'must be a redis://host:port[/db] URL' }).regex(/^redis:\/\//, 'must be a redis://host:port[/db] URL').optional(),
    /** A worker's name in the records it runs (default host:pid). */
    name: z.string({ error: 'must be a name' }).regex(/^[A-Za-z0-9_.:@-]{1,100}$/, 'must be 1 to 100 letters, digits or _.:@-').optional(),
    /** Tags a worker serves (a start may require some). */
    tags: z
      .preprocess(
        (v) => (typeof v === 'string' ? v.split(',').map((t) => t.trim()).filter(Boolean) : v),
        z.array(z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'each tag must be 1 to 32 letters, digits, _ or -'), { error: 'must be a list of tags' }).max(4, 'must list at most 4 tags'),
      )
      .optional(),
    /** How soon a dead worker's executions end `supervisor_lost`, ms. */
    lossMs: numeric(z.number().int('must be a whole number of ms').min(1000, 'must be at least 1000 ms').max(600_000, 'must be at most 600000 ms')).optional(),
  })
  .strict()
  .superRefine((config, ctx) => {
    if (config.sandboxUid !== undefined && config.sandboxUids !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['sandboxUids'], message: 'cannot be set together with sandboxUid (one uid for every sandbox); set one of the two' });
    }
  });

export type ServerConfig = z.output<typeof ServerConfigSchema> & {
  project: string;
  /** The config file read, if any: sandboxes never see it. */
  configFile?: string;
};

/** The environment variable of each setting. */
export const ENV_NAMES: Record<string, keyof z.input<typeof ServerConfigSchema>> = {
  SIDEX_HOST: 'host',
  SIDEX_ADVERTISE_HOST: 'advertiseHost',
  SIDEX_PORT: 'port',
  SIDEX_DATA_DIR: 'dataDir',
  SIDEX_PROJECT: 'project',
  SIDEX_STORE: 'store',
  SIDEX_FILE_STORE: 'fileStore',
  SIDEX_API_KEY: 'apiKey',
  SIDEX_METRICS_TOKEN: 'metricsToken',
  SIDEX_LOG_LEVEL: 'logLevel',
  SIDEX_LOG_FILE: 'logFile',
  SIDEX_LOG_FILE_MAX_MB: 'logFileMaxMb',
  SIDEX_LOG_FILE_KEEP: 'logFileKeep',
  SIDEX_POOL_SIZE: 'poolSize',
  SIDEX_MAX_CONCURRENT: 'maxConcurrent',
  SIDEX_MAX_QUEUED: 'maxQueued',
  SIDEX_RETAIN_DAYS: 'retainDays',
  SIDEX_RETAIN_EXECUTIONS: 'retainExecutions',
  SIDEX_RETAIN_LOG_MB: 'retainLogMb',
  SIDEX_OUTPUT_LIMIT_MB: 'outputLimitMb',
  SIDEX_MEMORY_LIMIT_MB: 'memoryLimitMb',
  SIDEX_PIDS_LIMIT: 'pidsLimit',
  SIDEX_PERMISSIONS: 'permissions',
  SIDEX_ISOLATION: 'isolation',
  SIDEX_NETWORK: 'network',
  SIDEX_SANDBOX_UID: 'sandboxUid',
  SIDEX_SANDBOX_UIDS: 'sandboxUids',
  SIDEX_SANDBOX_READ_ONLY: 'sandboxReadOnly',
  SIDEX_SANDBOX_READ_WRITE: 'sandboxReadWrite',
  SIDEX_PROJECT_ROOTS: 'projectRoots',
  SIDEX_QUEUE: 'queue',
  SIDEX_WORKER_NAME: 'name',
  SIDEX_TAGS: 'tags',
  SIDEX_LOSS_MS: 'lossMs',
};

export interface ConfigSources {
  /** Command-line flags (only those given). */
  flags: Record<string, unknown>;
  env: NodeJS.ProcessEnv;
  /** Config file: `--config`, else `SIDEX_CONFIG`, else `./sidex.yml` / `./sidex.yaml` when present. */
  configFile?: string;
  cwd: string;
  /** Flags whose name is not the setting's (e.g. --concurrency for maxConcurrent), for messages. */
  flagNames?: Record<string, string>;
}

/**
 * Merges the settings: flags over environment over config file over defaults.
 * Throws INVALID_CONFIG naming the setting and where it came from.
 */
export function loadConfig(sources: ConfigSources): ServerConfig {
  const file = readConfigFile(sources);
  const fromEnv: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(ENV_NAMES)) {
    const value = sources.env[name];
    if (value !== undefined && value !== '') fromEnv[key] = value;
  }
  const merged = { ...file.values, ...fromEnv, ...definedOnly(sources.flags) };
  const parsed = ServerConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    // An unknown setting has no path: its name is in the issue's keys.
    const unknown = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
    const key = String(issue.path[0] ?? unknown ?? '');
    const origin = key in sources.flags && sources.flags[key] !== undefined
      ? (sources.flagNames?.[key] ?? `--${kebab(key)}`)
      : key in fromEnv
        ? envNameOf(key)
        : file.path
          ? `${key} in ${file.path}`
          : key || '(config)';
    throw new SidexError('INVALID_CONFIG', `${origin}: ${unknown !== undefined ? 'is not a setting sidex knows (see docs/deployment.md)' : issue.message}`, { field: key });
  }
  const config = parsed.data;
  const resolveAll = (paths: string[] | undefined) => paths?.map((p) => path.resolve(sources.cwd, p));
  return {
    ...config,
    dataDir: path.resolve(sources.cwd, config.dataDir),
    project: path.resolve(sources.cwd, config.project ?? '.'),
    ...(config.logFile ? { logFile: path.resolve(sources.cwd, config.logFile) } : {}),
    ...(config.fileStore ? { fileStore: path.resolve(sources.cwd, config.fileStore) } : {}),
    ...(config.sandboxReadOnly ? { sandboxReadOnly: resolveAll(config.sandboxReadOnly) } : {}),
    ...(config.sandboxReadWrite ? { sandboxReadWrite: resolveAll(config.sandboxReadWrite) } : {}),
    ...(config.projectRoots ? { projectRoots: resolveAll(config.projectRoots) } : {}),
    ...(file.path ? { configFile: file.path } : {}),
  };
}

function readConfigFile(sources: ConfigSources): { path?: string; values: Record<string, unknown> } {
  const explicit = sources.configFile ?? sources.env.SIDEX_CONFIG;
  const candidates = explicit ? [path.resolve(sources.cwd, explicit)] : ['sidex.yml', 'sidex.yaml'].map((f) => path.join(sources.cwd, f));
  const found = candidates.find((f) => fs.existsSync(f));
  if (!found) {
    if (explicit) throw new SidexError('INVALID_CONFIG', `config file ${candidates[0]} does not exist`, { field: 'config' });
    return { values: {} };
  }
  let values: unknown;
  try {
    values = parseYaml(fs.readFileSync(found, 'utf8'));
  } catch (err) {
    throw new SidexError('INVALID_CONFIG', `config file ${found}: ${(err as Error).message}`, { field: 'config' });
  }
  if (values === null || values === undefined) return { path: found, values: {} };
  if (typeof values !== 'object' || Array.isArray(values)) {
    throw new SidexError('INVALID_CONFIG', `config file ${found}: must be a mapping of settings (host, port, dataDir, ...)`, { field: 'config' });
  }
  return { path: found, values: values as Record<string, unknown> };
}

function definedOnly(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined));
}

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const envNameOf = (key: string) => Object.entries(ENV_NAMES).find(([, k]) => k === key)?.[0] ?? key;
