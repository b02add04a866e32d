// /metrics on a real `sidex serve`, read as Prometheus reads it: the text is
// parsed by a Prometheus text-format parser and each named series is checked
// to move as executions, pipeline items and connections come and go.
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import { codeChain } from './fixtures/pipelines.js';
import { RawDap } from './helpers/raw-dap.js';
import { RawSocket } from './helpers/raw-ws.js';
import { api, startTestServer } from './helpers/server.js';
import { eventually } from './helpers/sidex.js';

const METRICS_TOKEN = 'metrics-token-0123456789';
const server = await startTestServer({ env: { SIDEX_METRICS_TOKEN: METRICS_TOKEN, SIDEX_MAX_CONCURRENT: '1' } });

type Families = ReturnType<typeof parsePrometheusTextFormat>;

async function scrape(key: string = server.apiKey): Promise<Families> {
  const res = await api(server, '/metrics', { key });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusTextFormat(await res.text());
}

/** The value of one series (a histogram's count), 0 when the labelled series is not there yet. */
function valueOf(families: Families, name: string, labels: Record<string, string> = {}): number {
  const family = families.find((f) => f.name === name);
  if (!family) throw new Error(`no series ${name} in /metrics`);
  const sample = family.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  if (!sample) return 0;
  return Number(family.type === 'HISTOGRAM' ? sample.count : sample.value);
}

async function until(name: string, labels: Record<string, string>, check: (v: number) => boolean): Promise<number> {
  let last = NaN;
  const ok = await eventually(async () => check((last = valueOf(await scrape(), name, labels))), 10_000, 50);
  if (!ok) throw new Error(`${name}${JSON.stringify(labels)} never reached the expected value; last ${last}`);
  return last;
}

async function start(code: string): Promise<string> {
  const res = await api(server, '/v1/executions', { method: 'POST', body: JSON.stringify({ inlineCode: code }) });
  const body = (await res.json()) as { sideExecutionId: string };
  expect(res.status, JSON.stringify(body)).toBe(201);
  return body.sideExecutionId;
}

const stop = (id: string) => api(server, `/v1/executions/${id}/stop`, { method: 'POST', body: '{}' });

describe('/metrics', () => {
  it('needs the API key or the metrics token; the metrics token opens nothing else', async () => {
    expect((await api(server, '/metrics', { key: null })).status).toBe(401);
    expect((await api(server, '/metrics', { key: 'wrong-key-wrong-key' })).status).toBe(401);
    expect((await api(server, '/metrics', { key: METRICS_TOKEN })).status).toBe(200);
    expect((await api(server, '/v1/executions', { key: METRICS_TOKEN })).status).toBe(401);
  });

  it('has every named series and the default process metrics', async () => {
    const names = new Set((await scrape(METRICS_TOKEN)).map((f) => f.name));
    for (const name of [
      'sidex_executions_started_total',
      'sidex_executions_ended_total',
      'sidex_executions_running',
      'sidex_executions_queued',
      'sidex_start_latency_seconds',
      'sidex_stop_latency_seconds',
      'sidex_warm_pool_idle',
      'sidex_execution_memory_bytes',
      'sidex_pipeline_items_total',
      'sidex_ws_connections',
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
    ]) {
      expect(names, name).toContain(name);
    }
  });

  it('counts executions as they start, run, queue, stop and end, with their latencies and memory', async () => {
    const before = await scrape();
    const startedBefore = valueOf(before, 'sidex_executions_started_total', { kind: 'inline' });
    const stoppedBefore = valueOf(before, 'sidex_executions_ended_total', { kind: 'inline', status: 'stopped' });
    const completedBefore = valueOf(before, 'sidex_executions_ended_total', { kind: 'inline', status: 'completed' });
    const startLatencyBefore = valueOf(before, 'sidex_start_latency_seconds');
    const stopLatencyBefore = valueOf(before, 'sidex_stop_latency_seconds');
    await until('sidex_warm_pool_idle', {}, (v) => v > 0);

    const running = await start('const b = Buffer.alloc(32 * 1024 * 1024, 1); await new Promise((r) => setTimeout(r, 60_000)); return b.length');
    // maxConcurrent is 1: this one waits.
    await start("return 42");
    const during = await scrape();
    expect(valueOf(during, 'sidex_executions_started_total', { kind: 'inline' })).toBe(startedBefore + 2);
    expect(valueOf(during, 'sidex_executions_running')).toBe(1);
    expect(valueOf(during, 'sidex_executions_queued')).toBe(1);
    expect(valueOf(during, 'sidex_start_latency_seconds')).toBe(startLatencyBefore + 1);
    await until('sidex_execution_memory_bytes', {}, (v) => v > 32 * 1024 * 1024);

    expect((await stop(running)).status).toBe(200);
    await until('sidex_executions_ended_total', { kind: 'inline', status: 'completed' }, (v) => v === completedBefore + 1);
    const after = await scrape();
    expect(valueOf(after, 'sidex_executions_ended_total', { kind: 'inline', status: 'stopped' })).toBe(stoppedBefore + 1);
    expect(valueOf(after, 'sidex_stop_latency_seconds')).toBe(stopLatencyBefore + 1);
    expect(valueOf(after, 'sidex_start_latency_seconds')).toBe(startLatencyBefore + 2);
    expect(valueOf(after, 'sidex_executions_running')).toBe(0);
    expect(valueOf(after, 'sidex_executions_queued')).toBe(0);
    expect(valueOf(after, 'sidex_execution_memory_bytes')).toBe(0);
  });

  it('counts WebSocket connections by dialect', async () => {
    const codebolt = await RawSocket.open(`${server.url.replace(/^http/, 'ws')}/codebolt`, server.apiKey);
    const dap = await RawDap.open(server.url);
    expect(await until('sidex_ws_connections', { dialect: 'codebolt' }, (v) => v === 1)).toBe(1);
    expect(await until('sidex_ws_connections', { dialect: 'rocketride' }, (v) => v === 1)).toBe(1);
    codebolt.ws.close();
    dap.ws.close();
    await until('sidex_ws_connections', { dialect: 'codebolt' }, (v) => v === 0);
    await until('sidex_ws_connections', { dialect: 'rocketride' }, (v) => v === 0);
  });

  it('counts pipeline items by what became of them', async () => {
    const before = await scrape();
    const accepted = valueOf(before, 'sidex_pipeline_items_total', { state: 'accepted' });
    const completed = valueOf(before, 'sidex_pipeline_items_total', { state: 'completed' });
    const failed = valueOf(before, 'sidex_pipeline_items_total', { state: 'failed' });
    const headers = { authorization: `Bearer ${server.apiKey}` };
    const use = await fetch(`${server.url}/task`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify(codeChain("if (input === 'bad') throw new Error('no'); return input.toUpperCase()")),
    });
    const reply = (await use.json()) as { data: { token: string } };
    expect(use.status, JSON.stringify(reply)).toBe(200);
    const { data } = reply;
    for (const body of ['one', 'two', 'bad']) {
      await fetch(`${server.url}/task/data?token=${data.token}`, { method: 'POST', headers: { ...headers, 'content-type': 'text/plain' }, body });
    }
    await until('sidex_pipeline_items_total', { state: 'completed' }, (v) => v === completed + 2);
    const after = await scrape();
    expect(valueOf(after, 'sidex_pipeline_items_total', { state: 'accepted' })).toBe(accepted + 3);
    expect(valueOf(after, 'sidex_pipeline_items_total', { state: 'failed' })).toBe(failed + 1);
    await fetch(`${server.url}/task?token=${data.token}`, { method: 'DELETE', headers });
  });
});
