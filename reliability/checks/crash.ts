// Crash recovery: `sidex serve` is SIGKILLed with 50 executions running (the
// hostile workloads in turn), then started again on the same data directory.
// Every record must be back (failed, supervisor_lost, with all the output
// printed before the kill), and 2 s after the kill no process of theirs may live.
import type { Check } from '../lib/check.js';
import { processesOf, until } from '../lib/servers.js';
import { figure, mustBe } from '../lib/table.js';
import { awaitReady, LINES, program, verdict, workloads, type Launched, type WorkloadName } from '../lib/tagged-runs.js';

const EXECUTIONS = 50;
const SURVIVOR_DEADLINE_MS = 2000;

const crash: Check = async ({ fleet }) => {
  const names = Object.keys(workloads) as WorkloadName[];
  const server = await fleet.start();
  const client = await fleet.client(server);
  const launched: Launched[] = await Promise.all(
    Array.from({ length: EXECUTIONS }, async (_, n) => {
      const tag = `crash#${n}`;
      const reply = await client.sideExecution.startWithCode(program(names[n % names.length]!, tag, 'server SIGKILL'), {});
      if (!reply.success) throw new Error(`${tag}: start failed: ${reply.error}`);
      return { id: reply.sideExecutionId, tag };
    }),
  );
  await awaitReady(client, launched, 30_000);
  const before = processesOf(server.dataDir).length;
  client.close();

  await fleet.kill(server);
  const killedAt = Date.now();
  const atKill = processesOf(server.dataDir).length;
  await until(() => processesOf(server.dataDir).length === 0, SURVIVOR_DEADLINE_MS, 10);
  const goneAfterMs = Date.now() - killedAt;
  await until(() => Date.now() - killedAt >= SURVIVOR_DEADLINE_MS, SURVIVOR_DEADLINE_MS);
  const survivors = processesOf(server.dataDir).length;

  const restartBegan = Date.now();
  const again = await fleet.restart(server);
  const reader = await fleet.client(again);
  const restartMs = Date.now() - restartBegan;
  const v = await verdict(reader, launched, () => 'server SIGKILL');
  reader.close();
  await fleet.stop(again);

  return [
    figure('crash', `processes of the ${EXECUTIONS} executions (and warm runtimes) before the SIGKILL`, before),
    figure('crash', 'of them alive right after the server exited', atKill),
    figure('crash', 'ms until none was alive (the guardian and the runtimes kill their trees)', survivors === 0 ? goneAfterMs : `> ${SURVIVOR_DEADLINE_MS}`),
    mustBe('crash', `survivors ${SURVIVOR_DEADLINE_MS / 1000} s after the SIGKILL`, survivors, 0),
    figure('crash', 'restart to first reply, ms (recovery sweep included)', restartMs),
    mustBe('crash', 'records present after the restart', `${EXECUTIONS - v.missing}/${EXECUTIONS}`, `${EXECUTIONS}/${EXECUTIONS}`),
    mustBe('crash', 'records not failed/supervisor_lost', v.wrongStatus, 0),
    mustBe('crash', `output lines lost of ${EXECUTIONS * LINES * 2} printed before the kill`, v.linesLost, 0),
    mustBe('crash', 'executions killed before their tree was complete', v.notReady, 0),
  ];
};

export default crash;
