import fs from 'node:fs';
import path from 'node:path';

/** Never looked into: dependencies and tooling hold thousands of files a catalog never reads. */
const SKIPPED = (name: string) => name === 'node_modules' || name.startsWith('.');

/**
 * Tells whether anything under some directories may have changed since the
 * last look, without reading them on every request.
 *
 * Every directory down to `depth` levels below each root (an item, its
 * `dist/`...; never `node_modules` or dot-directories) gets a non-recursive
 * `fs.watch` (one inotify watch each: Node 20's `recursive: true` watches
 * every file on Linux, thousands for one block with dependencies). Events
 * only mark the listing dirty, so a burst of writes costs one rescan, at the
 * next look; before that rescan the watchers are set up afresh over what the
 * tree is now, so nothing written after the rescan read it goes unseen. The
 * roots are also stat'ed at each look, since nothing watches their parents:
 * one that appears, vanishes or is replaced is a change. Where watching
 * fails (no inotify slots left), each look compares a signature of the
 * tree's names, sizes and mtimes instead.
 */
export class ChangeWatch {
  private dirty = true;
  private closed = false;
  private polling = false;
  private signature = '';
  private watchers: fs.FSWatcher[] = [];
  private readonly rootInodes = new Map<string, number | undefined>();

  constructor(
    private readonly roots: readonly string[],
    private readonly depth = 3,
  ) {}

  /** True when something may have changed since the last call that returned true (always, the first time). */
  changed(): boolean {
    for (const root of this.roots) {
      const ino = inodeOf(root);
      if (ino !== this.rootInodes.get(root) || !this.rootInodes.has(root)) this.dirty = true;
      this.rootInodes.set(root, ino);
    }
    if (this.polling) {
      // One level deeper than the watchers: files inside the deepest watched directories count.
      const signature = this.roots.map((r) => treeSignature(r, this.depth + 1)).join('\n');
      if (signature !== this.signature) this.dirty = true;
      this.signature = signature;
    }
    if (!this.dirty) return false;
    this.dirty = false;
    if (!this.polling) this.rewatch();
    return true;
  }

  /** Counts as changed at the next look, whatever the watchers say. */
  invalidate(): void {
    this.dirty = true;
  }

  /** How many directories are watched (for tests and diagnostics). */
  get watchedCount(): number {
    return this.watchers.length;
  }

  close(): void {
    this.closed = true;
    this.unwatch();
  }

  private rewatch(): void {
    this.unwatch();
    if (this.closed) return;
    for (const root of this.roots) {
      for (const dir of treeDirs(root, this.depth)) {
        try {
          const watcher = fs.watch(dir, { persistent: false }, () => (this.dirty = true));
          watcher.on('error', () => this.fallBack());
          this.watchers.push(watcher);
        } catch (err) {
          // Gone between listing and watching: the next look sees it. Anything else: poll.
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return this.fallBack();
        }
      }
    }
  }

  private fallBack(): void {
    this.unwatch();
    this.polling = true;
    this.dirty = true;
  }

  private unwatch(): void {
    for (const watcher of this.watchers) watcher.close();
    this.watchers = [];
  }
}

function inodeOf(dir: string): number | undefined {
  try {
    const stat = fs.statSync(dir);
    return stat.isDirectory() ? stat.ino : undefined;
  } catch {
    return undefined;
  }
}

/** `root` and the directories below it down to `depth` levels, following symlinks, skipping SKIPPED. */
function treeDirs(root: string, depth: number): string[] {
  if (inodeOf(root) === undefined) return [];
  const dirs = [root];
  const walk = (at: string, level: number) => {
    if (level >= depth) return;
    for (const name of readdir(at)) {
      const full = path.join(at, name);
      if (SKIPPED(name) || inodeOf(full) === undefined) continue;
      dirs.push(full);
      walk(full, level + 1);
    }
  };
  walk(root, 0);
  return dirs;
}

/** Names, sizes and mtimes of a tree down to `depth` levels, as one string. */
export function treeSignature(root: string, depth: number): string {
  const parts: string[] = [];
  const walk = (at: string, level: number) => {
    for (const name of readdir(at)) {
      if (SKIPPED(name)) continue;
      const full = path.join(at, name);
      try {
        const stat = fs.statSync(full);
        parts.push(`${full}:${stat.size}:${stat.mtimeMs}`);
        if (stat.isDirectory() && level < depth) walk(full, level + 1);
      } catch {
        parts.push(`${full}:gone`);
      }
    }
  };
  walk(root, 1);
  return parts.join('\n');
}

function readdir(dir: string): string[] {
  try {
    return fs.readdirSync(dir).sort();
  } catch {
    return [];
  }
}
