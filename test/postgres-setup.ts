// vitest globalSetup: when no SIDEX_TEST_POSTGRES_URL is given and the
// machine has PostgreSQL installed, npm test starts a throwaway server of its
// own (.ci/postgres, in a temporary directory, loopback, a free port) so that
// the PostgreSQL store suite runs for real instead of being skipped; it is
// stopped and removed when the run ends. Nothing is installed here: without
// PostgreSQL on the machine the suite is skipped with a message (CI installs
// it and fails rather than skips).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const script = path.resolve(import.meta.dirname, '..', '.ci', 'postgres');

const installed = () => fs.existsSync('/usr/lib/postgresql') && fs.readdirSync('/usr/lib/postgresql').some((v) => fs.existsSync(`/usr/lib/postgresql/${v}/bin/pg_ctl`));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export default async function setup(): Promise<(() => void) | undefined> {
  if (process.env.SIDEX_TEST_POSTGRES_URL || !installed()) return undefined;
  const env = { ...process.env, SIDEX_PG_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'sidex-test-postgres-')), SIDEX_PG_PORT: String(await freePort()) };
  try {
    process.env.SIDEX_TEST_POSTGRES_URL = execFileSync(script, ['start'], { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 90_000 }).toString().trim();
  } catch (err) {
    // The suite then says what is missing (or fails under CI); the reason is shown here.
    console.warn(`\n*** could not start a throwaway PostgreSQL: ${(err as { stderr?: Buffer }).stderr?.toString().trim() || (err as Error).message}\n`);
    execFileSync(script, ['stop'], { env, stdio: 'ignore' });
    return undefined;
  }
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    execFileSync(script, ['stop'], { env, stdio: 'ignore', timeout: 60_000 });
  };
  // Also when vitest ends without its teardown (its output pipe closed early, an uncaught error): pg_ctl's server would outlive it.
  process.prependOnceListener('exit', stop); // before the run's temporary directory is removed (temp-dir-setup.ts)
  return stop;
}
