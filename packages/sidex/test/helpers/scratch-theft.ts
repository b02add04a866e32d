// One execution tries to read a file another wrote in its scratch directory
// (no test-runner imports: the reliability suite uses it too).
import type { SidexClient } from '@sidex/client';

/** Starts an owner that writes a file in its scratch directory, then a thief that reads it; answers what the thief got (the text, or an error code). */
export async function stealFromScratch(client: SidexClient): Promise<unknown> {
  const owner = await client.sideExecution.startWithCode(`
    require('node:fs').writeFileSync('secret.txt', 'owner only');
    console.log(process.cwd());
    await new Promise(() => {});`);
  if (!owner.success) throw new Error(owner.error);
  try {
    let dir = '';
    for (let i = 0; i < 500 && !dir; i++) {
      await new Promise((r) => setTimeout(r, 20));
      const status = await client.sideExecution.getStatus(owner.sideExecutionId);
      dir = status.success ? status.output.trim() : '';
    }
    const thief = await client.sideExecution.startWithCode('try { return require("node:fs").readFileSync(file, "utf8"); } catch (e) { return e.code; }', { file: `${dir}/secret.txt` });
    if (!thief.success) throw new Error(thief.error);
    const done = await client.wait(thief.sideExecutionId);
    return done.success ? done.data.result : done.error;
  } finally {
    await client.sideExecution.stop(owner.sideExecutionId, { graceMs: 500 });
  }
}
