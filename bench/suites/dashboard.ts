// The dashboard's live feed: what 10 open dashboards, each following an
// execution's output over GET /v1/events, cost the server while that execution
// prints about 1,000 lines a second. Server CPU (utime + stime from /proc) over
// the same window without any dashboard open is the baseline.
import fs from 'node:fs';
import http from 'node:http';
import { spawnServer, stopAndRemove, type TestServer } from '../../packages/sidex/test/helpers/spawn-server.js';
import { round, type BenchRow } from '../lib/row.js';

const DASHBOARDS = 10;
const WINDOW_MS = 5000;
/** USER_HZ: clock ticks per second of /proc's CPU times, 100 on every Linux this runs on. */
const TICKS = 100;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

/** One dashboard's feed: counts the events it receives. */
function openFeed(server: TestServer, id: string, counter: { events: number }): http.ClientRequest {
  const url = new URL(`/v1/events?output=${id}`, server.url);
  const request = http.get(url, { headers: { authorization: `Bearer ${server.apiKey}` } }, (res) => {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => (counter.events += chunk.split('\n\n').filter((e) => e.startsWith('event:')).length));
  });
  request.on('error', () => undefined);
  return request;
}

async function serverCpuOver(server: TestServer): Promise<number> {
  const pid = server.child.pid!;
  const before = cpuSeconds(pid);
  await sleep(WINDOW_MS);
  return (cpuSeconds(pid) - before) / (WINDOW_MS / 1000);
}

export default async function dashboardSuite(): Promise<BenchRow[]> {
  const server = await spawnServer({ args: ['--log-level', 'error'] });
  try {
    const res = await fetch(`${server.url}/v1/executions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ inlineCode: "let n = 0; setInterval(() => process.stdout.write('line ' + n++ + '\\n'), 1); await new Promise(() => {})" }),
    });
    const { sideExecutionId: id } = (await res.json()) as { sideExecutionId: string };
    await sleep(1000);
    const quiet = await serverCpuOver(server);
    const counter = { events: 0 };
    const feeds = Array.from({ length: DASHBOARDS }, () => openFeed(server, id, counter));
    await sleep(1000);
    counter.events = 0;
    const watched = await serverCpuOver(server);
    const perSecond = counter.events / DASHBOARDS / (WINDOW_MS / 1000);
    feeds.forEach((f) => f.destroy());
    await fetch(`${server.url}/v1/executions/${id}/stop`, { method: 'POST', headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' }, body: '{"force":true}' });
    const extra = Math.max(0, watched - quiet);
    return [
      {
        name: `server CPU with ${DASHBOARDS} dashboards following ~${round(perSecond, 0)} output events/s each`,
        value: round(watched * 100, 1),
        unit: '% of a core',
        baseline: 'the same output, no dashboard open',
        baselineValue: round(quiet * 100, 1),
        ratio: `feed: ${round(extra * 100, 1)}% of a core, ${round(watched > 0 ? (extra / watched) * 100 : 0, 0)}% of the server's CPU`,
      },
    ];
  } finally {
    await stopAndRemove(server);
  }
}
