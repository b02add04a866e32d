// Path traversal: every place a request names a file on the server (block
// paths, project paths, block and capability names, pipeline `actionblock`
// components, and the entry points capability.yaml and executor.yaml name) meets
// every way out of the roots (`..`, absolute paths, a symlink out, a block
// whose entry is a symlink out, URL encoding). The target is a real, valid
// block outside the roots that leaves a file behind when it runs: a refusal
// must be a refusal, not a missing file. Each place is also shown accepting
// the block inside the roots (its control), so that a refusal is not merely a
// broken call.
import fs from 'node:fs';
import path from 'node:path';
import type { SidexClient } from '@sidex/client';
import { codeChain } from '../../packages/sidex/test/fixtures/pipelines.js';
import { RawDap } from '../../packages/sidex/test/helpers/raw-dap.js';
import { writeBlock } from '../../packages/sidex/test/helpers/write-block.js';
import type { HttpClient } from './http-routes.js';
import type { TestServer } from './servers.js';

/** Written into every block the check may run; never in a refused reply. */
export const OUTSIDE_DESCRIPTION = 'OUTSIDE-THE-ROOTS';

export interface Layout {
  /** A project outside the server's roots, with its block. */
  outsideProject: string;
  outsideBlock: string;
  /** A skill outside the roots, runnable as it stands. */
  outsideCapability: string;
  /** Where the blocks leave a file each time they run: `<label>-<pid>`. */
  ranDir: string;
}

const ranCode = (ranDir: string, label: string) =>
  `import fs from 'node:fs';\nexport default async () => { fs.writeFileSync(${JSON.stringify(ranDir)} + '/${label}-' + process.pid + '-' + Math.random(), 'ran'); return 'ran'; };\n`;

/** Where blocks that ran leave a mark: the one directory outside that the server's sandboxes may write (SIDEX_SANDBOX_READ_WRITE). */
export const ranDirOf = (scratch: string) => path.join(scratch, 'ran');

/** Blocks outside the roots (in `scratch`) and inside the project, with symlinks out of it. */
export function layout(scratch: string, projectDir: string): Layout {
  const ranDir = ranDirOf(scratch);
  fs.mkdirSync(ranDir, { recursive: true });
  // Sandboxed code runs as an unprivileged uid: it must be able to leave its mark.
  fs.chmodSync(ranDir, 0o777);
  const outsideProject = path.join(scratch, 'outside');
  const outsideBlock = writeBlock(outsideProject, 'outside-block', ranCode(ranDir, 'outside'));
  fs.appendFileSync(path.join(outsideBlock, 'actionblock.yml'), `metadata:\n  author: ${OUTSIDE_DESCRIPTION}\n`);
  writeBlock(projectDir, 'inside-block', ranCode(ranDir, 'inside'));
  const blocks = path.join(projectDir, '.codebolt', 'actionblocks');
  fs.symlinkSync(outsideBlock, path.join(blocks, 'link-out'));
  fs.symlinkSync(outsideProject, path.join(projectDir, 'project-link-out'));
  // A block inside the roots whose entry file is a symlink to the outside block's code.
  const entryLink = writeBlock(projectDir, 'entry-link', '');
  fs.rmSync(path.join(entryLink, 'index.js'));
  fs.symlinkSync(path.join(outsideBlock, 'index.js'), path.join(entryLink, 'index.js'));
  return { outsideProject, outsideBlock, ranDir, outsideCapability: capabilityLayout(outsideProject, projectDir, ranDir) };
}

/**
 * A skill outside the roots, one inside (the control), and, inside the
 * project, every way its files could point out: a capability directory that
 * is a symlink out, an entry file that is one, an entryPoint with `..` and an
 * absolute one, and a skill run by an executor whose entryPoint leaves its
 * directory. Returns the outside skill's directory.
 */
function capabilityLayout(outsideProject: string, projectDir: string, ranDir: string): string {
  const skill = (root: string, name: string, extra = '') => {
    const dir = path.join(root, 'skill', name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'capability.yaml'), `name: ${name}\ntype: skill\n${extra}`);
    return dir;
  };
  const outside = skill(path.join(outsideProject, 'capabilities'), 'outside-cap', `author: ${OUTSIDE_DESCRIPTION}\nentryPoint: index.js\n`);
  fs.writeFileSync(path.join(outside, 'index.js'), ranCode(ranDir, 'outside'));
  const outsideEntry = path.join(outside, 'index.js');
  const root = path.join(projectDir, '.codebolt', 'capabilities');
  fs.writeFileSync(path.join(skill(root, 'inside-cap', 'entryPoint: index.js\n'), 'index.js'), ranCode(ranDir, 'inside'));
  fs.symlinkSync(outside, path.join(root, 'skill', 'cap-link-out'));
  fs.symlinkSync(outsideEntry, path.join(skill(root, 'cap-entry-link', 'entryPoint: index.js\n'), 'index.js'));
  const dotted = skill(root, 'cap-entry-dotted');
  fs.appendFileSync(path.join(dotted, 'capability.yaml'), `entryPoint: ${path.relative(dotted, outsideEntry)}\n`);
  skill(root, 'cap-entry-absolute', `entryPoint: ${outsideEntry}\n`);
  const executor = path.join(root, 'executors', 'exec-escape');
  fs.mkdirSync(executor, { recursive: true });
  fs.writeFileSync(path.join(executor, 'executor.yaml'), `name: exec-escape\nsupportedTypes: [skill]\nentryPoint: ${path.relative(executor, outsideEntry)}\n`);
  fs.writeFileSync(path.join(skill(root, 'cap-via-escaping-executor', 'executor: exec-escape\nentryPoint: index.js\n'), 'index.js'), ranCode(ranDir, 'inside'));
  return outside;
}

export const ranCount = (l: Layout, label: 'outside' | 'inside') => fs.readdirSync(l.ranDir).filter((f) => f.startsWith(`${label}-`)).length;

export interface Payload {
  name: string;
  value: string;
}

/** Ways out of the roots to the outside block (paths relative to the project, as the server resolves them). */
export function blockPayloads(l: Layout, projectDir: string): Payload[] {
  const relative = path.relative(projectDir, l.outsideBlock);
  return [
    { name: '..', value: relative },
    { name: '.. from inside a root', value: path.join('.codebolt', 'actionblocks', 'inside-block', '..', '..', '..', relative) },
    { name: 'absolute path', value: l.outsideBlock },
    { name: 'symlink out (block directory)', value: path.join('.codebolt', 'actionblocks', 'link-out') },
    { name: 'symlink out (entry file)', value: path.join('.codebolt', 'actionblocks', 'entry-link') },
    { name: 'URL-encoded ..', value: encodeURIComponent(relative) },
    { name: 'URL-encoded twice', value: encodeURIComponent(encodeURIComponent(relative)) },
  ];
}

/** Ways out to the outside project (for `projectPath`). */
export function projectPayloads(l: Layout, projectDir: string): Payload[] {
  const relative = path.relative(projectDir, l.outsideProject);
  return [
    { name: '..', value: relative },
    { name: 'absolute path', value: l.outsideProject },
    { name: 'symlink out', value: 'project-link-out' },
    { name: 'URL-encoded ..', value: encodeURIComponent(relative) },
  ];
}

/** Names that try to reach the outside block (for by-name lookups). */
export function namePayloads(l: Layout, projectDir: string): Payload[] {
  const relative = path.relative(projectDir, l.outsideBlock);
  return [
    { name: "the outside block's own name", value: 'outside-block' },
    { name: '..', value: relative },
    { name: 'absolute path', value: l.outsideBlock },
    { name: 'URL-encoded ..', value: encodeURIComponent(relative) },
  ];
}

/** Capability names that try to reach the outside skill, by lookup or through the files of one inside. */
export function capabilityPayloads(l: Layout, projectDir: string): Payload[] {
  const relative = path.relative(projectDir, l.outsideCapability);
  return [
    { name: "the outside skill's own name", value: 'outside-cap' },
    { name: '..', value: relative },
    { name: 'absolute path', value: l.outsideCapability },
    { name: 'URL-encoded ..', value: encodeURIComponent(relative) },
    { name: 'symlink out (capability directory)', value: 'cap-link-out' },
    { name: 'symlink out (entry file)', value: 'cap-entry-link' },
    { name: 'entryPoint with ..', value: 'cap-entry-dotted' },
    { name: 'absolute entryPoint', value: 'cap-entry-absolute' },
    { name: "its executor's entryPoint out", value: 'cap-via-escaping-executor' },
  ];
}

export type PayloadKind = 'block path' | 'project path' | 'block name' | 'capability name';

/** One place that names a file, and how to ask there. `accepted`: the server took the request (ran it, listed or described the target). */
export interface Place {
  where: string;
  kind: PayloadKind;
  /** The value that must be accepted: the block or project inside the roots. */
  control: string;
  attempt(value: string): Promise<{ accepted: boolean; detail: string }>;
}

const mentionsOutside = (reply: unknown) => JSON.stringify(reply ?? null).includes(OUTSIDE_DESCRIPTION);

/**
 * A capability's detail accepts a target when it describes it as runnable: a
 * skill inside the roots whose executor was refused is described, truthfully,
 * with `executorError` and no executor, and that is a refusal.
 */
const describedRunnable = (reply: { success: boolean; capability?: { executorError?: string } }) =>
  mentionsOutside(reply) || (reply.success && reply.capability?.executorError === undefined);

/** An actionblock component's config: `{path}` or `{name}`, in a pipeline of its own. */
const blockPipeline = (config: Record<string, string>) => {
  const chain = codeChain('return input');
  chain.components.splice(1, 1, { id: 'code_1', provider: 'actionblock', config, input: [{ lane: 'text', from: 'webhook_1' }] });
  return chain;
};

export function places(server: TestServer, client: SidexClient, http: HttpClient, dap: RawDap): Place[] {
  const auth = { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' };
  const viaHttp = async (method: string, url: string, body?: object) => {
    const r = await http.send(method, url, body ? auth : { authorization: auth.authorization }, body ? JSON.stringify(body) : undefined);
    return { accepted: (r.status !== undefined && r.status < 400 && !r.body.includes('"success":false')) || r.body.includes(OUTSIDE_DESCRIPTION), detail: `${r.status} ${r.body.slice(0, 100)}` };
  };
  const started = async (reply: { success: boolean; sideExecutionId?: string; error?: string; code?: string }) => {
    if (reply.success && reply.sideExecutionId) await client.wait(reply.sideExecutionId);
    return { accepted: reply.success, detail: reply.success ? 'started' : `${reply.code}: ${reply.error}` };
  };
  /** A task with the block: accepted when it runs (an item is sent so that the block is called), then terminated. */
  const task = async (config: Record<string, string>) => {
    const r = await dap.request('execute', { pipeline: blockPipeline(config) });
    if (!r.success) return { accepted: false, detail: `${r.code}: ${r.message}` };
    await dap.request('rrext_process', { subcommand: 'open', token: r.body.token }).then(async (o) => {
      await dap.binary('rrext_process', { subcommand: 'write', token: r.body.token, pipe_id: o.body?.pipe_id }, Buffer.from('x'));
      await dap.request('rrext_process', { subcommand: 'close', token: r.body.token, pipe_id: o.body?.pipe_id });
    });
    await dap.request('terminate', { token: r.body.token });
    return { accepted: true, detail: 'task ran' };
  };
  const insideBlock = path.join('.codebolt', 'actionblocks', 'inside-block');
  return [
    { where: 'WebSocket /codebolt startSideExecution actionBlockPath', kind: 'block path', control: insideBlock, attempt: async (v) => started(await client.sideExecution.startWithActionBlock(v)) },
    {
      where: 'REST POST /v1/executions actionBlockPath',
      kind: 'block path',
      control: insideBlock,
      attempt: async (v) => {
        const r = await viaHttp('POST', '/v1/executions', { actionBlockPath: v });
        const id = /"sideExecutionId":"([^"]+)"/.exec(r.detail)?.[1];
        if (r.accepted && id) await client.wait(id);
        return r;
      },
    },
    {
      where: 'WebSocket /codebolt listActionBlocks projectPath',
      kind: 'project path',
      control: '.',
      attempt: async (v) => {
        const r = await client.sideExecution.listActionBlocks(v);
        return { accepted: r.success || mentionsOutside(r), detail: r.success ? `${r.data.actionBlocks.length} blocks` : `${r.code}: ${r.error}` };
      },
    },
    { where: 'REST GET /v1/action-blocks?projectPath=', kind: 'project path', control: '.', attempt: (v) => viaHttp('GET', `/v1/action-blocks?projectPath=${encodeURIComponent(v)}`) },
    {
      where: 'WebSocket /codebolt getActionBlockDetail actionBlockName',
      kind: 'block name',
      control: 'inside-block',
      attempt: async (v) => {
        const r = await client.actionBlock.getDetail(v);
        return { accepted: r.success || mentionsOutside(r), detail: r.success ? 'described' : `${r.code}: ${r.error}` };
      },
    },
    { where: 'WebSocket /codebolt startActionBlock actionBlockName', kind: 'block name', control: 'inside-block', attempt: async (v) => started(await client.actionBlock.start(v)) },
    { where: 'REST GET /v1/action-blocks/:name', kind: 'block name', control: 'inside-block', attempt: (v) => viaHttp('GET', `/v1/action-blocks/${v.includes('%') ? v : encodeURIComponent(v)}`) },
    { where: 'REST POST /v1/action-blocks/:name/start', kind: 'block name', control: 'inside-block', attempt: (v) => viaHttp('POST', `/v1/action-blocks/${v.includes('%') ? v : encodeURIComponent(v)}/start`, {}) },
    { where: 'DAP execute: actionblock component {path}', kind: 'block path', control: insideBlock, attempt: (v) => task({ path: v }) },
    { where: 'DAP execute: actionblock component {name}', kind: 'block name', control: 'inside-block', attempt: (v) => task({ name: v }) },
    {
      where: 'DAP rrext_validate: actionblock component {path}',
      kind: 'block path',
      control: insideBlock,
      attempt: async (v) => {
        const r = await dap.request('rrext_validate', { pipeline: blockPipeline({ path: v }) });
        return { accepted: r.success && r.body.valid === true, detail: JSON.stringify(r.body?.errors ?? r.message).slice(0, 100) };
      },
    },
    {
      where: 'HTTP POST /task: actionblock component {path}',
      kind: 'block path',
      control: insideBlock,
      attempt: async (v) => {
        const r = await http.send('POST', '/task', auth, JSON.stringify(blockPipeline({ path: v })));
        const token = /"token":"([^"]+)"/.exec(r.body)?.[1];
        if (token) await http.send('DELETE', `/task?token=${token}`, { authorization: auth.authorization });
        return { accepted: r.status === 200, detail: `${r.status} ${r.body.slice(0, 100)}` };
      },
    },
    { where: 'WebSocket /codebolt startCapability capabilityName', kind: 'capability name', control: 'inside-cap', attempt: async (v) => started(await client.capability.startSkill(v)) },
    {
      where: 'WebSocket /codebolt getCapabilityDetail capabilityName',
      kind: 'capability name',
      control: 'inside-cap',
      attempt: async (v) => {
        const r = await client.capability.getCapabilityDetail(v, 'skill');
        return { accepted: describedRunnable(r), detail: r.success ? `described${r.capability.executorError ? `, ${r.capability.executorError}` : ''}` : `${r.code}: ${r.error}` };
      },
    },
    {
      where: 'REST GET /v1/capabilities/:name',
      kind: 'capability name',
      control: 'inside-cap',
      attempt: async (v) => {
        const r = await http.send('GET', `/v1/capabilities/${v.includes('%') ? v : encodeURIComponent(v)}?type=skill`, { authorization: auth.authorization });
        const reply = r.status === 200 ? (JSON.parse(r.body) as { success: boolean; capability?: { executorError?: string } }) : { success: false, body: r.body };
        return { accepted: describedRunnable(reply), detail: `${r.status} ${r.body.slice(0, 100)}` };
      },
    },
    {
      where: 'REST POST /v1/capabilities/:name/start',
      kind: 'capability name',
      control: 'inside-cap',
      attempt: async (v) => {
        const r = await viaHttp('POST', `/v1/capabilities/${v.includes('%') ? v : encodeURIComponent(v)}/start`, { type: 'skill' });
        const id = /"executionId":"([^"]+)"/.exec(r.detail)?.[1];
        if (r.accepted && id) await client.wait(id);
        return r;
      },
    },
  ];
}

const PAYLOADS: Record<PayloadKind, (l: Layout, projectDir: string) => Payload[]> = {
  'block path': blockPayloads,
  'project path': projectPayloads,
  'block name': namePayloads,
  'capability name': capabilityPayloads,
};

export const payloadsOf = (kind: PayloadKind, l: Layout, projectDir: string): Payload[] => PAYLOADS[kind](l, projectDir);
