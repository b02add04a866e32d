// Discovery (docs/blocks-and-capabilities.md) and validation of action blocks,
// capabilities and executors, on the fixture project of
// test/fixtures/projects: what is listed, in which order, what wins, and the
// warning every broken item becomes (file, field, what is wrong).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CatalogWarning } from '../dist/index.js';
import { fixtureProject } from './fixtures/projects/fixture-project.js';
import { makeSidex, tempDir } from './helpers/sidex.js';

const fx = fixtureProject();
const sidex = makeSidex({ projectDir: fx.project, globalDir: fx.global });
// Another sidex on the same directories, and one on a project with no .codebolt at all.
const other = makeSidex({ projectDir: fx.project, globalDir: fx.global, engine: { poolSize: 1 } });
const empty = makeSidex({ projectDir: tempDir('sidex-empty-'), engine: { poolSize: 1 } });

/** The one warning about `where` (a path suffix), as `file|field|message`. */
function warningAbout(warnings: CatalogWarning[], where: string): CatalogWarning {
  const found = warnings.filter((w) => w.file.includes(`/${where}`));
  expect(found, `exactly one warning about ${where}: ${JSON.stringify(warnings, null, 1)}`).toHaveLength(1);
  return found[0]!;
}

async function blockListing() {
  const reply = await sidex.actionBlock.list();
  if (!reply.success) throw new Error(reply.error);
  return reply;
}

const capabilityListing = () => sidex.capabilities.list();

describe('action blocks: discovery', () => {
  it('lists project blocks, then global ones, then built-ins; the first of a name wins', async () => {
    const { actionBlocks } = await blockListing();
    const where = Object.fromEntries(actionBlocks.map((b) => [b.name, b.path]));
    expect(where.greet).toBe(path.join(fx.blocks, 'greet'));
    expect(where.echo).toBe(path.join(fx.blocks, 'echo-override'));
    expect(where['global-only']).toBe(path.join(fx.global, 'actionblocks', 'global-only'));
    expect(where.twin).toBe(path.join(fx.blocks, 'twin-a'));
    const names = actionBlocks.map((b) => b.name);
    expect(names.indexOf('twin')).toBeLessThan(names.indexOf('global-only'));
    expect(new Set(names).size).toBe(names.length);
  });

  it('a block carries Codebolt fields: id, version, entryPoint, type, metadata with inputs', async () => {
    const { actionBlocks } = await blockListing();
    const greet = actionBlocks.find((b) => b.name === 'greet')!;
    expect(greet).toMatchObject({
      name: 'greet',
      version: '1.2.0',
      entryPoint: 'index.js',
      type: 'filesystem',
      protocol: 'sidex',
      metadata: { author: 'fixtures', tags: ['demo'] },
    });
    expect(greet.id).toMatch(/^ab_[0-9a-f]{16}$/);
    expect(greet.metadata.inputs?.map((i) => i.name)).toEqual(['name', 'times', 'loud', 'options', 'extra', 'ratio', 'anything']);
  });

  it('duplicate names are warnings that say which one takes precedence', async () => {
    const { warnings } = await blockListing();
    expect(warningAbout(warnings, 'actionblocks/twin-b').message).toMatch(
      /duplicate action block name "twin" \(declared twice in the project directory\): .*twin-a takes precedence over .*twin-b/,
    );
    expect(warningAbout(warnings, 'global/actionblocks/greet').message).toMatch(/"greet" \(project overrides global\): .*actionblocks\/greet takes precedence/);
    expect(warningAbout(warnings, 'builtin/actionblocks/echo').message).toMatch(/"echo" \(project overrides built-in\): .*echo-override takes precedence/);
  });

  it.each([
    ['missing-name/actionblock.yml', 'name', /field "name" is required and must be a non-empty string/],
    ['bad-yaml/actionblock.yml', undefined, /not valid YAML: .* at line 2, column 1$/],
    ['missing-entry/actionblock.yml', 'entryPoint', /entry file "dist\/index\.js" does not exist/],
    ['dotdot-entry/actionblock.yml', 'entryPoint', /entry "\.\.\/greet\/index\.js" is outside the block directory/],
    ['absolute-entry/actionblock.yml', 'entryPoint', /entry "\/etc\/hostname" is outside the block directory/],
    ['entry-link-out/actionblock.yml', 'entryPoint', /entry "index\.js" is outside the block directory/],
    ['bad-inputs/actionblock.yml', 'metadata.inputs', /field "metadata\.inputs" must be a list of inputs/],
    ['symlinked-out', undefined, /outside the allowed roots/],
  ])('a broken block is a warning, not a failure: %s', async (where, field, message) => {
    const { actionBlocks, warnings } = await blockListing();
    const warning = warningAbout(warnings, `actionblocks/${where}`);
    expect(warning.field).toBe(field);
    expect(warning.message).toMatch(message);
    const dir = where.split('/')[0]!;
    expect(actionBlocks.some((b) => b.path.endsWith(`/${dir}`))).toBe(false);
  });

  it('inputs of a type sidex does not know, and defaults of the wrong type, are warnings; the block stays usable', async () => {
    const { actionBlocks, warnings } = await blockListing();
    expect(actionBlocks.some((b) => b.name === 'odd-inputs')).toBe(true);
    const odd = warnings.filter((w) => w.file.endsWith('odd-inputs/actionblock.yml'));
    expect(odd.map((w) => w.field)).toEqual(['metadata.inputs[0].type', 'metadata.inputs[1].default']);
    expect(odd[0]!.message).toMatch(/input "path" has unknown type "file" .*not checked/);
    expect(odd[1]!.message).toMatch(/default of input "count" must be an integer, got the string "many"/);
  });

  it('filterType and the sideExecution listing see the same catalog', async () => {
    const builtin = await sidex.actionBlock.list('builtin');
    expect(builtin.success && builtin.actionBlocks.every((b) => b.type === 'builtin')).toBe(true);
    const viaSide = await sidex.sideExecution.listActionBlocks();
    const viaBlocks = await blockListing();
    expect(viaSide.success && viaSide.actionBlocks).toEqual(viaBlocks.actionBlocks);
  });

  it('ids are stable: derived from source and path, the same for another sidex on the same directories', async () => {
    const first = (await blockListing()).actionBlocks;
    const again = await other.actionBlock.list();
    expect(again.success && again.actionBlocks.map((b) => [b.name, b.id])).toEqual(first.map((b) => [b.name, b.id]));
    const caps = other.capabilities.list();
    const mine = capabilityListing();
    expect(caps.capabilities.map((c) => c.id)).toEqual(mine.capabilities.map((c) => c.id));
    expect(caps.executors.map((e) => e.id)).toEqual(mine.executors.map((e) => e.id));
    expect(new Set(first.map((b) => b.id)).size).toBe(first.length);
  });
});

describe('capabilities and executors: discovery', () => {
  it('lists <type>/<name> of the project, then of the global directory; project wins', async () => {
    const { capabilities } = await capabilityListing();
    const listed = capabilities.map((c) => `${c.type}/${c.name}@${c.source}`);
    expect(listed).toEqual([
      'skill/both@project',
      'skill/guide@project',
      'skill/interactive-task@project',
      'skill/long-running-task@project',
      'skill/quick-task@project',
      'skill/twin-skill@project',
      'skill/typed@project',
      'power/deploy@project',
      'power/lost-executor@project',
      'power/mismatched-executor@project',
      'talent/review@project',
      'skill/global-skill@global',
    ]);
    const quick = capabilities.find((c) => c.name === 'quick-task')!;
    expect(quick).toMatchObject({
      type: 'skill',
      version: '2.0.0',
      description: 'Returns its params after a short while (or fails when asked to).',
      path: path.join(fx.capabilities, 'skill', 'quick-task'),
      entryPoint: 'index.cjs',
      metadata: { author: 'Alice', tags: ['quick', 'demo'] },
    });
    expect(quick.id).toMatch(/^capability_[0-9a-f]{16}$/);
  });

  it('a skill may be a SKILL.md alone: its front matter describes it', async () => {
    const { capabilities } = await capabilityListing();
    expect(capabilities.find((c) => c.name === 'guide')).toMatchObject({
      type: 'skill',
      version: '1.1.0',
      description: 'How to write a good commit message',
      skillFile: path.join(fx.capabilities, 'skill', 'guide', 'SKILL.md'),
      metadata: { author: 'docs-team', tags: ['git', 'writing'] },
    });
    expect(capabilities.find((c) => c.name === 'guide')!.entryPoint).toBeUndefined();
  });

  it('capability.yaml wins over SKILL.md front matter, which fills in what the YAML leaves out', async () => {
    const { capabilities } = await capabilityListing();
    expect(capabilities.some((c) => c.name === 'ignored-name')).toBe(false);
    expect(capabilities.find((c) => c.name === 'both')).toMatchObject({
      version: '3.0.0',
      description: 'From the front matter',
      entryPoint: 'index.js',
      metadata: { tags: ['fallback'] },
    });
  });

  it.each([
    ['skill/no-name/capability.yaml', 'name', /field "name" is required and must be a non-empty string/],
    ['skill/bad-yaml/capability.yaml', undefined, /not valid YAML: .* at line 3, column 1$/],
    ['skill/wrong-type/capability.yaml', 'type', /field "type" is "power" but the capability lies in the "skill" directory/],
    ['skill/missing-entry/capability.yaml', 'entryPoint', /entry file "lib\/main\.js" does not exist/],
    ['skill/no-code/capability.yaml', 'entryPoint', /no entry file .* and no SKILL\.md/],
    ['skill/escaping-entry/capability.yaml', 'entryPoint', /entry "(\.\.\/)+etc\/passwd" is outside the capability directory/],
    ['skill/entry-link-out/capability.yaml', 'entryPoint', /entry "index\.js" is outside the capability directory/],
    ['skill/skill-link-out/SKILL.md', 'SKILL.md', /is a symlink pointing outside the capability directory/],
    ['skill/symlinked-out', undefined, /outside the allowed roots/],
    ['skill/unclosed-front-matter/SKILL.md', 'frontMatter', /front matter opened with "---" is never closed/],
    ['skill/twin-two', 'name', /duplicate skill name "twin-skill" \(declared twice in the project directory\): .*twin-one takes precedence/],
    ['global/capabilities/skill/quick-task', 'name', /duplicate skill name "quick-task" \(project overrides global\)/],
    ['widgets', undefined, /not a capability type directory \(expected skill, power, talent, executors\); not searched/],
    ['executors/no-types/executor.yaml', 'supportedTypes', /field "supportedTypes" must list at least one of skill, power, talent/],
    ['executors/no-entry/executor.yaml', 'entryPoint', /no entry file \(set "entryPoint"; looked for dist\/index\.js/],
    ['executors/odd-types/executor.yaml', 'supportedTypes', /unknown capability types "pipeline" ignored/],
  ])('each problem is a warning naming file and field: %s', async (where, field, message) => {
    const { warnings } = await capabilityListing();
    const warning = warningAbout(warnings, where);
    expect(warning.field).toBe(field);
    expect(warning.message).toMatch(message);
  });

  it('broken capabilities are not listed, and nothing leads out of the project', async () => {
    const { capabilities } = await capabilityListing();
    const names = capabilities.map((c) => c.name);
    for (const broken of ['no-name', 'bad-yaml', 'wrong-type', 'missing-entry', 'no-code', 'escaping-entry', 'entry-link-out', 'outsider', 'leaked', 'unclosed', 'gadget']) {
      expect(names).not.toContain(broken);
    }
    expect(capabilities.every((c) => c.path.startsWith(fx.project) || c.path.startsWith(fx.global))).toBe(true);
  });

  it('executors: project ones first, then the built-in one; broken ones are warnings', () => {
    const reply = capabilityListing();
    expect(reply.executors.map((e) => [e.name, e.supportedTypes, e.source])).toEqual([
      ['echo-executor', ['talent'], 'project'],
      ['odd-types', ['talent'], 'project'],
      ['sidex', ['skill', 'power', 'talent'], 'builtin'],
    ]);
    expect(reply.executors[0]).toMatchObject({ version: '0.1.0', entryPoint: 'index.js', path: path.join(fx.capabilities, 'executors', 'echo-executor') });
    expect(reply.executors[0]!.id).toMatch(/^executor_[0-9a-f]{16}$/);
  });

  it('executors of the global directory come after the project\'s and before the built-in one, which a global one of its name replaces', () => {
    const project = tempDir('sidex-exec-project-');
    const global = tempDir('sidex-exec-global-');
    const executor = (root: string, name: string, types: string) => {
      const dir = path.join(root, 'capabilities', 'executors', name);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'executor.yaml'), `name: ${name}\nsupportedTypes: [${types}]\nentryPoint: index.js\n`);
      fs.writeFileSync(path.join(dir, 'index.js'), 'export default () => 1;\n');
    };
    executor(path.join(project, '.codebolt'), 'mine', 'talent');
    executor(global, 'shared', 'power');
    executor(global, 'sidex', 'skill');
    const listing = makeSidex({ projectDir: project, globalDir: global, engine: { poolSize: 0 } }).capabilities.list();
    expect(listing.executors.map((e) => [e.name, e.supportedTypes, e.source])).toEqual([
      ['mine', ['talent'], 'project'],
      ['shared', ['power'], 'global'],
      ['sidex', ['skill'], 'global'],
    ]);
  });

  it('a project without any .codebolt directory lists only built-ins, without warnings', async () => {
    const caps = empty.capabilities.list();
    expect(caps.capabilities).toEqual([]);
    expect(caps.warnings).toEqual([]);
    expect(caps.executors.map((e) => e.name)).toEqual(['sidex']);
    const blocks = await empty.actionBlock.list();
    expect(blocks.success && blocks.actionBlocks.map((b) => b.name)).toEqual(['echo']);
  });
});
