// The catalog follows the disk without a restart and without rescanning on
// every request: directories are watched, a change marks the listing dirty,
// and the next request rescans once.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChangeWatch, treeSignature } from '../dist/catalog/watch/change-watch.js';
import { WatchedListing } from '../dist/catalog/watch/watched-listing.js';
import { fixtureProject, write } from './fixtures/projects/fixture-project.js';
import { eventually, makeSidex, sleep, tempDir } from './helpers/sidex.js';

const fx = fixtureProject();
const sidex = makeSidex({ projectDir: fx.project, globalDir: fx.global, engine: { poolSize: 1 } });

const capabilityNames = async () => sidex.capabilities.list().capabilities.map((c) => `${c.type}/${c.name}`);
const blockNames = async () => {
  const reply = await sidex.actionBlock.list();
  if (!reply.success) throw new Error(reply.error);
  return reply.actionBlocks.map((b) => b.name);
};

describe('the catalog refreshes when files change', () => {
  it('a new capability appears without a restart, runs, and disappears once deleted', async () => {
    expect(await capabilityNames()).not.toContain('power/fresh');
    const dir = path.join(fx.capabilities, 'power', 'fresh');
    write(path.join(dir, 'capability.yaml'), 'name: fresh\ntype: power\ndescription: written while sidex runs\n');
    write(path.join(dir, 'index.js'), 'export default async () => "fresh result";\n');
    expect(await eventually(async () => (await capabilityNames()).includes('power/fresh'))).toBe(true);

    const started = await sidex.capability.startPower('fresh');
    expect(started.success).toBe(true);
    const done = await sidex.sideExecution.wait(started.data.executionId);
    expect(done.success && done.result).toBe('fresh result');

    fs.rmSync(dir, { recursive: true });
    expect(await eventually(async () => !(await capabilityNames()).includes('power/fresh'))).toBe(true);
    const gone = await sidex.capability.startPower('fresh');
    expect(gone.success === false && gone.code).toBe('CAPABILITY_NOT_FOUND');
  });

  it('an edited manifest is read again', async () => {
    const file = path.join(fx.capabilities, 'talent', 'review', 'capability.yaml');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('version: 0.3.0', 'version: 0.4.0'));
    expect(await eventually(() => sidex.capabilities.find('review', 'talent').version === '0.4.0')).toBe(true);
  });

  it('a capability that becomes broken turns into a warning, and back', async () => {
    const file = path.join(fx.capabilities, 'power', 'deploy', 'capability.yaml');
    const good = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, 'name: [broken\n');
    expect(await eventually(async () => !(await capabilityNames()).includes('power/deploy'))).toBe(true);
    expect(sidex.capabilities.list().warnings.some((w) => w.file === file && /not valid YAML/.test(w.message))).toBe(true);
    fs.writeFileSync(file, good);
    expect(await eventually(async () => (await capabilityNames()).includes('power/deploy'))).toBe(true);
  });

  it('a directory that did not exist when sidex started is picked up once created', async () => {
    expect(fs.existsSync(path.join(fx.global, 'capabilities', 'talent'))).toBe(false);
    write(path.join(fx.global, 'capabilities', 'talent', 'late', 'capability.yaml'), 'name: late\ntype: talent\n');
    write(path.join(fx.global, 'capabilities', 'talent', 'late', 'index.js'), 'export default async () => "late";\n');
    expect(await eventually(async () => (await capabilityNames()).includes('talent/late'))).toBe(true);
  });

  it('action blocks too: a new block appears, a deleted one disappears', async () => {
    const dir = path.join(fx.blocks, 'brand-new');
    write(path.join(dir, 'actionblock.yml'), 'name: brand-new\nentryPoint: index.js\n');
    write(path.join(dir, 'index.js'), 'export default async () => "new";\n');
    expect(await eventually(async () => (await blockNames()).includes('brand-new'))).toBe(true);
    const detail = await sidex.actionBlock.getDetail('brand-new');
    expect(detail.success).toBe(true);
    fs.rmSync(dir, { recursive: true });
    expect(await eventually(async () => !(await blockNames()).includes('brand-new'))).toBe(true);
  });
});

describe('an item written a moment ago', () => {
  it('is found by name at once: a miss rescans before it fails', async () => {
    await blockNames();
    await capabilityNames();
    write(path.join(fx.blocks, 'just-written', 'actionblock.yml'), 'name: just-written\nentryPoint: index.js\n');
    write(path.join(fx.blocks, 'just-written', 'index.js'), 'export default async () => "block right away";\n');
    const block = await sidex.actionBlock.start('just-written');
    expect(block.success && block.result).toBe('block right away');

    write(path.join(fx.capabilities, 'executors', 'fresh-executor', 'executor.yaml'), 'name: fresh-executor\nsupportedTypes: [power]\nentryPoint: index.js\n');
    write(path.join(fx.capabilities, 'executors', 'fresh-executor', 'index.js'), 'export default async ({ capability }) => `ran ${capability.name}`;\n');
    write(path.join(fx.capabilities, 'power', 'just-written', 'capability.yaml'), 'name: just-written\ntype: power\nexecutor: fresh-executor\n');
    write(path.join(fx.capabilities, 'power', 'just-written', 'index.js'), 'export default async () => 1;\n');
    const started = await sidex.capability.startPower('just-written');
    expect(started.success, started.success ? '' : started.error).toBe(true);
    const done = await sidex.sideExecution.wait(started.data.executionId);
    expect(done.success && done.result).toBe('ran just-written');
    for (const dir of [path.join(fx.blocks, 'just-written'), path.join(fx.capabilities, 'executors', 'fresh-executor'), path.join(fx.capabilities, 'power', 'just-written')]) {
      fs.rmSync(dir, { recursive: true });
    }
  });
});

describe('watching, not rescanning', () => {
  it('requests without changes on disk do not rescan; a change causes exactly one rescan', async () => {
    const dir = tempDir('sidex-watch-');
    let scans = 0;
    const listing = new WatchedListing([dir], () => ++scans);
    try {
      for (let i = 0; i < 5; i++) listing.get();
      expect(scans).toBe(1);
      for (let i = 0; i < 10; i++) fs.writeFileSync(path.join(dir, `file-${i}.yaml`), 'x');
      expect(await eventually(() => listing.get() === 2)).toBe(true);
      for (let i = 0; i < 5; i++) listing.get();
      expect(scans).toBe(2);
    } finally {
      listing.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sees a directory appear, vanish, and be replaced by a new one under the same name', async () => {
    const parent = tempDir('sidex-watch-');
    const dir = path.join(parent, 'later');
    const watch = new ChangeWatch([dir]);
    try {
      expect(watch.changed()).toBe(true); // the first look always counts
      expect(watch.changed()).toBe(false);
      fs.mkdirSync(dir);
      expect(watch.changed()).toBe(true);
      fs.writeFileSync(path.join(dir, 'a.yaml'), 'a');
      expect(await eventually(() => watch.changed())).toBe(true);
      fs.rmSync(dir, { recursive: true });
      expect(watch.changed()).toBe(true);
      fs.mkdirSync(dir);
      expect(watch.changed()).toBe(true);
      expect(watch.changed()).toBe(false);
      fs.mkdirSync(path.join(dir, 'deep', 'er'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'deep', 'er', 'b.yaml'), 'b');
      expect(await eventually(() => watch.changed())).toBe(true);
    } finally {
      watch.close();
      fs.rmSync(parent, { recursive: true, force: true });
    }
  });

  it('watches directories, not files, and never looks into node_modules', async () => {
    const root = tempDir('sidex-watch-');
    const block = path.join(root, 'block');
    write(path.join(block, 'actionblock.yml'), 'name: block\n');
    write(path.join(block, 'dist', 'index.js'), 'export default () => 1;\n');
    for (let i = 0; i < 50; i++) write(path.join(block, 'node_modules', `dep-${i}`, 'lib', 'index.js'), '');
    const watch = new ChangeWatch([root]);
    try {
      expect(watch.changed()).toBe(true);
      expect(watch.watchedCount).toBe(3); // root, block, block/dist
      write(path.join(block, 'node_modules', 'dep-7', 'lib', 'index.js'), 'changed');
      write(path.join(block, 'node_modules', 'dep-8', 'new.js'), 'new');
      await sleep(100);
      expect(watch.changed()).toBe(false);
      write(path.join(block, 'dist', 'index.js'), 'export default () => 2;\n');
      expect(await eventually(() => watch.changed())).toBe(true);
    } finally {
      watch.close();
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('the fallback for directories that cannot be watched: a signature of names, sizes and mtimes', () => {
    const dir = tempDir('sidex-sig-');
    try {
      write(path.join(dir, 'skill', 'a', 'capability.yaml'), 'name: a\n');
      const before = treeSignature(dir, 4);
      expect(treeSignature(dir, 4)).toBe(before);
      write(path.join(dir, 'skill', 'a', 'capability.yaml'), 'name: a-longer\n');
      const after = treeSignature(dir, 4);
      expect(after).not.toBe(before);
      fs.rmSync(path.join(dir, 'skill', 'a'), { recursive: true });
      expect(treeSignature(dir, 4)).not.toBe(after);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
