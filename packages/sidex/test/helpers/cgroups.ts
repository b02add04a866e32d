// The cgroups a data directory's servers make (process tracking and kernel
// limits), in every hierarchy: what must be gone once its runs have ended.
import fs from 'node:fs';
import path from 'node:path';
import { ownCgroupDir } from '../../dist/engine/tree/cgroup-paths.js';
import { subdirs } from '../../dist/engine/tree/cgroup-tree.js';
import { dataKeyOf } from '../../dist/engine/tree/marker.js';
import { cgroupDataRoot } from '../../dist/engine/tree/tree-tracker.js';

const V1_CONTROLLERS = ['freezer', 'memory', 'pids', 'cpu'] as const;

/** `<own cgroup>/sidex/<dataKey>` directories of this data directory that exist (v2, and each v1 controller's). */
export function cgroupsOf(dataDir: string): string[] {
  const key = dataKeyOf(dataDir);
  const v1 = V1_CONTROLLERS.map((controller) => ownCgroupDir({ version: 'cgroup1', controller }));
  const roots = [cgroupDataRoot('cgroup2', key), ...v1.map((own) => own && path.join(own, 'sidex', key))];
  return [...new Set(roots)].filter((dir): dir is string => dir !== undefined && fs.existsSync(dir));
}

/** The runs' cgroups in them: `<own cgroup>/sidex/<dataKey>/<runId>`, each hierarchy's. */
export function runCgroupsOf(dataDir: string): string[] {
  return cgroupsOf(dataDir).flatMap(subdirs);
}
