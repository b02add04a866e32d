// Installing says nothing alarming (issue "the first hour", item 8): npm knows
// every setting the repository gives it, and every installed package accepts
// the Node version the README documents. better-sqlite3 still builds from
// source, told by prebuild-install's own config file.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const semver = createRequire(import.meta.url)('semver') as { satisfies(version: string, range: string, options?: object): boolean };
/** npm checks engines against the Node it runs on: Node 20 here, as documented. */
const NODE_20 = process.versions.node;

describe('a quiet install', () => {
  it('npm warns of no unknown setting in the repository', () => {
    const run = spawnSync('npm', ['config', 'get', 'registry'], { cwd: ROOT, encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stderr).not.toMatch(/Unknown (project|user|env) config/);
  });

  it('every installed package accepts Node 20', () => {
    expect(NODE_20).toMatch(/^20\./);
    const tree = JSON.parse(execFileSync('npm', ['ls', '--all', '--json', '--long'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })) as Dep;
    interface Dep { name?: string; version?: string; path?: string; dependencies?: Record<string, Dep> }
    const refusing: string[] = [];
    const seen = new Set<string>();
    const walk = (dep: Dep) => {
      for (const child of Object.values(dep.dependencies ?? {})) {
        if (!child.path || seen.has(child.path)) continue;
        seen.add(child.path);
        const manifest = path.join(child.path, 'package.json');
        if (fs.existsSync(manifest)) {
          const engines = (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { engines?: { node?: string } }).engines;
          if (engines?.node && !semver.satisfies(NODE_20, engines.node, { includePrerelease: true })) refusing.push(`${child.name}@${child.version} (${engines.node})`);
        }
        walk(child);
      }
    };
    walk(tree);
    expect(seen.size).toBeGreaterThan(100);
    expect(refusing).toEqual([]);
  });

  it('better-sqlite3 is built from source, not downloaded', () => {
    expect(fs.readFileSync(path.join(ROOT, '.prebuild-installrc'), 'utf8')).toMatch(/^buildFromSource=true$/m);
    expect(fs.existsSync(path.join(ROOT, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node'))).toBe(true);
  });
});
