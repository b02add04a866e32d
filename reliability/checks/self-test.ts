// The detectors the other parts rely on, shown able to fail: the orphan
// detector finds a process deliberately left behind (a setsid grandchild
// carrying a data directory's marker, reparented away from us), the output
// check counts lines missing from a clipped output, the status check refuses a
// status that disagrees with its cause, reply matching counts lost, duplicated
// and stray replies, and the HTTP fuzz client counts a request nobody answers.
// (Security and traversal carry their controls in their own rows.)
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import { dataKeyOf } from '../../packages/sidex/dist/engine/tree/marker.js';
import { signalPid } from '../../packages/sidex/dist/engine/tree/proc.js';
import { missingLines, type Check } from '../lib/check.js';
import { HttpClient } from '../lib/http-routes.js';
import { ReplyMatcher } from '../lib/reply-matcher.js';
import { processesMarked, processesOf, until } from '../lib/servers.js';
import { mustBe, type Row } from '../lib/table.js';
import { statusAgrees } from '../lib/tagged-runs.js';

const selfTest: Check = async ({ fleet }) => {
  const rows: Row[] = [];
  const dataDir = path.join(fleet.scratch, 'self-test-data');
  const marker = `${dataKeyOf(dataDir)}.selftest.1`;
  const shell = spawn('sh', ['-c', 'setsid sleep 600 > /dev/null 2>&1 &'], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SIDEX_MARK: marker }, stdio: 'ignore' });
  await new Promise((resolve) => shell.on('exit', resolve));
  await until(() => processesOf(dataDir).length > 0, 2000);
  const found = processesOf(dataDir);
  rows.push(mustBe('self-test', 'orphan detector: processes found of one left on purpose (setsid, reparented)', found.length, 1));
  rows.push(mustBe('self-test', 'orphan detector: found by its exact marker too', processesMarked(marker).length, 1));
  for (const pid of found) signalPid(pid, 'SIGKILL');
  await until(() => processesOf(dataDir).length === 0, 2000);
  rows.push(mustBe('self-test', 'orphan detector: processes found once it is killed', processesOf(dataDir).length, 0));

  const expected = ['out 1', 'out 2', 'out 3', 'out 4'];
  rows.push(mustBe('self-test', 'output check: lines missing from a clipped output (2 of 4 clipped)', missingLines(expected, 'out 1\nout 2\nready\n'), 2));
  rows.push(mustBe('self-test', 'output check: lines missing from an output out of order (4 1 2 3)', missingLines(expected, 'out 4\nout 1\nout 2\nout 3\n'), 1));
  rows.push(mustBe('self-test', 'output check: lines missing from a whole output', missingLines(expected, 'mark x\nout 1\nout 2\nout 3\nout 4\nready\n'), 0));
  rows.push(mustBe('self-test', 'status check: a stop that ended "failed" agrees with its cause', statusAgrees('stop', { status: 'failed', stopReason: 'user' }), false));
  rows.push(mustBe('self-test', 'status check: a SIGTERM that ended "stopped" by the user agrees', statusAgrees('server SIGTERM', { status: 'stopped', stopReason: 'user' }), false));

  // Reply matching (load): a reply twice, a reply for nobody, a request never answered.
  const matcher = new ReplyMatcher();
  const answered = matcher.expect('a');
  const never = matcher.expect('b', 100);
  matcher.reply('a', { success: true });
  matcher.reply('a', { success: true });
  matcher.reply('z', { success: true });
  await Promise.all([answered, never]);
  const t = matcher.tally;
  rows.push(mustBe('self-test', 'reply matching: sent / answered / lost / duplicated / for nobody', `${t.sent} / ${t.answered} / ${t.lost} / ${t.duplicated} / ${t.unexpected}`, '2 / 1 / 1 / 1 / 1'));

  // The fuzzer's HTTP client tells no response from a response: a server that accepts and never answers.
  const silent = net.createServer(() => {}).listen(0, '127.0.0.1');
  await once(silent, 'listening');
  const http = new HttpClient((silent.address() as net.AddressInfo).port);
  const outcome = await http.send('GET', '/healthz', {}, undefined, 300);
  http.close();
  silent.close();
  rows.push(mustBe('self-test', 'HTTP fuzz client: a request to a server that never answers counts as unanswered', outcome.status === undefined, true));
  return rows;
};

export default selfTest;
