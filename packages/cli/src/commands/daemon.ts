// What `sidex serve` and `sidex worker` share: their configuration, their
// log, and a graceful shutdown on the first SIGINT/SIGTERM (exit on a second).
import type { Command } from 'commander';
import type { Logger } from 'pino';
import { isSidexError } from 'sidex/errors';
import { loadConfig, type ServerConfig } from 'sidex/config';
import { EXIT } from '../exit-codes.js';

/** The merged configuration, or the exit code of a bad one (said on stderr). */
export function daemonConfig(command: string, flags: Record<string, unknown> & { config?: string; concurrency?: unknown }): ServerConfig | number {
  const { config: configFile, concurrency, ...settings } = flags;
  try {
    return loadConfig({
      flags: { ...settings, maxConcurrent: concurrency },
      flagNames: { maxConcurrent: '--concurrency' },
      env: process.env,
      cwd: process.cwd(),
      ...(configFile ? { configFile } : {}),
    });
  } catch (err) {
    process.stderr.write(`sidex ${command}: invalid configuration: ${(err as Error).message}\n`);
    return EXIT.usage;
  }
}

export async function daemonLog(config: ServerConfig): Promise<Logger> {
  const { pino } = await import('pino');
  return pino({ level: config.logLevel, base: { service: 'sidex' } }, logDestination(pino, config));
}

/**
 * stderr, or a file rolled by pino-roll (in a worker thread, flushed at exit):
 * daily and at `logFileMaxMb`, keeping `logFileKeep` rolled files.
 */
function logDestination(pino: typeof import('pino').pino, config: ServerConfig) {
  if (!config.logFile) return pino.destination({ dest: 2, sync: true });
  const size = `${Math.max(1, Math.round(config.logFileMaxMb * 1024))}k`;
  // pino-roll writes <name>.<date>.<n><ext>, never the name given. (Its symlink to the current file is
  // not used: it is always named current.log, so a serve and a worker logging to one directory would
  // take it from each other, and a file of that name already there fails the start.)
  return pino.transport({
    target: 'pino-roll',
    options: { file: config.logFile, frequency: 'daily', dateFormat: 'yyyy-MM-dd', size, mkdir: true, limit: { count: config.logFileKeep } },
  });
}

/** The exit code of a start that failed: settings this machine cannot honour are the configuration's fault too. */
export function startFailed(command: string, err: unknown): number {
  const invalid = isSidexError(err) && ['INVALID_CONFIG', 'SANDBOX_UNAVAILABLE', 'NETWORK_UNAVAILABLE'].includes(err.code);
  process.stderr.write(`sidex ${command}: ${invalid ? 'invalid configuration: ' : ''}${(err as Error).message}\n`);
  return invalid ? EXIT.usage : EXIT.failed;
}

/** Resolves once `close` has run after the first signal; a second signal exits at once. */
export function untilSignal(close: () => Promise<void>, log: Logger): Promise<void> {
  return new Promise<void>((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      if (++signals > 1) {
        log.warn({ signal }, 'second signal: exiting at once');
        process.exit(EXIT.failed);
      }
      log.info({ signal }, 'signal received');
      close()
        .catch((err: unknown) => log.error({ err }, 'shutdown failed'))
        .finally(resolve);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/** A URL as it may be printed: without its password. */
export const shownUrl = (url: string | undefined): string => (url ?? '').replace(/\/\/[^@/]*@/, '//***@');

export interface RetentionFlags {
  retainDays?: string;
  retainExecutions?: string;
  retainLogMb?: string;
}

/** The history a server keeps (serve), or a worker keeps of what it ran (worker): the same flags on both. */
export function retentionOptions(command: Command): Command {
  return command
    .option('--retain-days <n>', 'keep executions of the last N days (env SIDEX_RETAIN_DAYS; default all)')
    .option('--retain-executions <n>', 'keep the newest N executions (env SIDEX_RETAIN_EXECUTIONS)')
    .option('--retain-log-mb <n>', 'keep at most N MB of captured output (env SIDEX_RETAIN_LOG_MB)');
}
