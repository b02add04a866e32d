// Every fenced code sample of README.md and docs/*.md, run against a real
// `sidex serve` on a loopback port: sh through bash with the built `sidex` on
// PATH, js/ts through node/tsx importing the built packages, json/yaml parsed.
// A sample that cannot run as it is carries `<!-- sample: not run (why) -->`
// just before its fence. Also: the README stays a guide (at most 250 lines)
// and no page links outside the repository.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { SIDEX_BIN, startTestServer } from './helpers/server.js';
import { live } from './helpers/spawn-server.js';
import { extractSamples, headingAnchors, markdownLinks, type Sample } from './helpers/markdown-samples.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const TSX = path.join(REPO, 'node_modules', '.bin', 'tsx');
const SAMPLE_TIMEOUT_MS = 60_000;

const pages = ['README.md', ...fs.readdirSync(path.join(REPO, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const read = (page: string) => fs.readFileSync(path.join(REPO, page), 'utf8');
const samples: Sample[] = pages.flatMap((page) => extractSamples(page, read(page)));

const RUN = new Set(['sh', 'bash', 'js', 'mjs', 'ts']);
const PARSE = new Set(['json', 'yaml', 'yml']);
/** Fences that are pictures, not programs (directory trees, diagrams). */
const TEXT = new Set(['', 'text']);

describe('the samples are all accounted for', () => {
  it('finds samples in the README and the docs', () => {
    expect(samples.filter((s) => s.page === 'README.md' && RUN.has(s.lang)).length).toBeGreaterThanOrEqual(3);
    expect(samples.filter((s) => s.page.startsWith('docs/') && RUN.has(s.lang)).length).toBeGreaterThanOrEqual(5);
  });

  it('every fence is in a language the test runs or parses, or is plain text', () => {
    const unknown = samples.filter((s) => !RUN.has(s.lang) && !PARSE.has(s.lang) && !TEXT.has(s.lang));
    expect(unknown.map((s) => `${s.page}:${s.line} ${s.lang}`)).toEqual([]);
  });

  it('every "not run" marker gives its reason, sits just before a fence, and such markers stay rare', () => {
    for (const page of pages) {
      const lines = read(page).split('\n');
      lines.forEach((line, i) => {
        if (!/^\s*<!--\s*sample:/.test(line)) return;
        expect(line.trim(), `${page}:${i + 1}`).toMatch(/^<!-- sample: not run \(\S.{9,}\) -->$/);
        expect(lines[i + 1]?.trim() ?? '', `${page}:${i + 1}: a marker must be followed by its fence`).toMatch(/^```/);
      });
    }
    const notRun = samples.filter((s) => s.notRun !== undefined);
    const runnable = samples.filter((s) => RUN.has(s.lang));
    // At most half: the commands page's examples need real projects (pytest, npm, a dev server) that a test machine lacks.
    expect(notRun.length).toBeLessThanOrEqual(Math.ceil(runnable.length / 2));
  });
});

describe('the README is a guide', () => {
  const readme = read('README.md');

  it('is at most 250 lines', () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(250);
  });

  it('links only to files of the repository, and they exist', () => {
    const links = markdownLinks(readme);
    expect(links.length).toBeGreaterThan(10);
    for (const link of links) {
      expect(link, 'the README links nothing outside the repository').not.toMatch(/^[a-z]+:/i);
      const target = path.resolve(REPO, link.split('#')[0]!);
      expect(target.startsWith(REPO), link).toBe(true);
      expect(fs.existsSync(target), link).toBe(true);
    }
  });

  it('keeps the two Quick start commands exactly', () => {
    const quickStart = samples.find((s) => s.page === 'README.md' && s.code.includes('npx sidex serve'));
    expect(quickStart?.code).toBe('npm install && npx sidex serve\nnpm test\n');
  });
});

describe('no page links outside the repository or to a missing place', () => {
  it.each(pages)('%s', (page) => {
    const text = read(page);
    expect(text).not.toMatch(/\.\.\/shared|\/work\/shared|\bshared\/(PROTOCOLS|ARCHITECTURE|seeds)/);
    for (const link of markdownLinks(text)) {
      if (/^https?:/.test(link)) continue;
      const [file, anchor] = link.split('#');
      const target = file ? path.resolve(path.dirname(path.join(REPO, page)), file) : path.join(REPO, page);
      expect(target.startsWith(REPO), `${page}: ${link}`).toBe(true);
      expect(fs.existsSync(target), `${page}: ${link}`).toBe(true);
      if (anchor && target.endsWith('.md')) expect(headingAnchors(fs.readFileSync(target, 'utf8')), `${page}: ${link}`).toContain(anchor);
    }
  });
});

describe('the samples run', async () => {
  const server = await startTestServer({ apiKey: false });
  // Inside the server's project: a command's cwd (the sample's directory) must lie in the allowed roots.
  const scratch = fs.mkdtempSync(path.join(server.projectDir, 'docs-samples-'));
  // Enterable by the sandbox's user too (a root server's sandboxes run as nobody): commands use the sample's directory as cwd.
  fs.chmodSync(scratch, 0o755);
  afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

  // `sidex` on PATH is the built CLI; node_modules resolves the built packages.
  const bin = path.join(scratch, 'bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'sidex'), `#!/bin/sh\nexec "${process.execPath}" "${SIDEX_BIN}" "$@"\n`, { mode: 0o755 });
  const env: Record<string, string> = { NO_COLOR: '1' };
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('SIDEX_')) env[k] = v;
  Object.assign(env, { PATH: `${bin}:${path.dirname(process.execPath)}:${env.PATH ?? ''}`, SIDEX_URL: server.url, SIDEX_API_KEY: server.apiKey });

  /** A fresh directory as a user has it where the server runs: the key in .sidex/api-key. */
  const workDir = (sample: Sample) => {
    const dir = fs.mkdtempSync(path.join(scratch, `${sample.page.replace(/\W+/g, '-')}-${sample.line}-`));
    fs.chmodSync(dir, 0o755);
    fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'));
    fs.mkdirSync(path.join(dir, '.sidex'));
    fs.writeFileSync(path.join(dir, '.sidex', 'api-key'), `${server.apiKey}\n`, { mode: 0o600 });
    return dir;
  };

  const runnable = samples.filter((s) => RUN.has(s.lang) && s.notRun === undefined);
  it.each(runnable.map((s) => [`${s.page}:${s.line} (${s.lang})`, s] as const))('%s', async (_name, sample) => {
    expect(server.apiKey).not.toBe('');
    const dir = workDir(sample);
    const file = path.join(dir, sample.lang === 'ts' ? 'sample.ts' : sample.lang === 'sh' || sample.lang === 'bash' ? 'sample.sh' : 'sample.mjs');
    fs.writeFileSync(file, sample.code);
    const command = sample.lang === 'ts' ? [TSX, file] : file.endsWith('.sh') ? ['bash', '-euo', 'pipefail', file] : [process.execPath, file];
    const result = await runBounded(command, dir, env);
    expect(result.timedOut, `did not end by itself within ${SAMPLE_TIMEOUT_MS} ms:\n${result.output}`).toBe(false);
    expect(result.code, result.output).toBe(0);
  });

  const parsed = samples.filter((s) => PARSE.has(s.lang));
  it.each(parsed.map((s) => [`${s.page}:${s.line} (${s.lang})`, s] as const))('%s parses', (_name, sample) => {
    const value: unknown = sample.lang === 'json' ? JSON.parse(sample.code) : YAML.parse(sample.code);
    expect(typeof value).toBe('object');
    expect(value).not.toBeNull();
  });
});

interface Outcome {
  code: number | null;
  timedOut: boolean;
  output: string;
}

/** Runs a sample in a process group of its own; the whole group is killed at the bound. */
function runBounded([cmd, ...args]: string[], cwd: string, env: Record<string, string>): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(cmd!, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, SAMPLE_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      live.delete(child);
      try {
        process.kill(-child.pid!, 'SIGKILL'); // anything a sample left behind in its group
      } catch {
        // nothing left
      }
      resolve({ code, timedOut, output });
    });
  });
}
