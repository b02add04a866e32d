import type { CodeboltSocket } from '../services/codebolt/codebolt-env.js';
import type { SidexOptions } from '../sidex.js';
import type { ServerConfig } from './config.js';
import { bytesOfMb } from '../engine/limits/limit-bounds.js';

/** What `sidex serve` and `sidex worker` open sidex with, from their configuration. */
export function sidexOptions(config: ServerConfig, codeboltSocket?: CodeboltSocket): SidexOptions {
  const retention = {
    ...(config.retainDays !== undefined ? { maxAgeDays: config.retainDays } : {}),
    ...(config.retainExecutions !== undefined ? { maxExecutions: config.retainExecutions } : {}),
    ...(config.retainLogMb !== undefined ? { maxLogMb: config.retainLogMb } : {}),
  };
  return {
    dataDir: config.dataDir,
    projectDir: config.project,
    ...(config.projectRoots ? { extraRoots: config.projectRoots } : {}),
    ...(config.fileStore ? { fileStoreDir: config.fileStore } : {}),
    ...(codeboltSocket ? { codeboltSocket } : {}),
    ...(config.store !== undefined ? { storeSpec: config.store } : {}),
    ...(Object.keys(retention).length > 0 ? { retention } : {}),
    engine: {
      ...(config.poolSize !== undefined ? { poolSize: config.poolSize } : {}),
      ...(config.maxConcurrent !== undefined ? { maxConcurrent: config.maxConcurrent } : {}),
      ...(config.maxQueued !== undefined ? { maxQueued: config.maxQueued } : {}),
      ...(config.outputLimitMb !== undefined ? { outputLimitBytes: bytesOfMb(config.outputLimitMb) } : {}),
      ...(config.memoryLimitMb !== undefined ? { memoryLimitBytes: bytesOfMb(config.memoryLimitMb) } : {}),
      ...(config.pidsLimit !== undefined ? { pidsLimit: config.pidsLimit } : {}),
      ...(config.permissions ? { permissions: {} } : {}),
      isolation: config.isolation,
      sandbox: {
        network: config.network,
        ...(config.sandboxUid !== undefined ? { uid: config.sandboxUid } : {}),
        ...(config.sandboxUids !== undefined ? { uids: config.sandboxUids } : {}),
        ...(config.sandboxReadOnly ? { readOnlyPaths: config.sandboxReadOnly } : {}),
        ...(config.sandboxReadWrite ? { readWritePaths: config.sandboxReadWrite } : {}),
        // Sandboxes see neither the config nor the account's files, wherever they are.
        hiddenPaths: [config.configFile, config.fileStore].filter((p): p is string => p !== undefined),
      },
    },
  };
}
