import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'vitest';

// What a test machine must provide. Where something is missing, the tests
// that need it are skipped with the reason, except under CI, whose machine
// .ci/run provides everything: there a missing part is a failing test.

const ciFailure = (missing: string) => () => {
  throw new Error(`${missing} (CI is set, so this fails instead of skipping)`);
};

/** Whether a suite that needs outside servers (Redis, PostgreSQL) can run here. */
export function serversFor(suite: string, missing: string | undefined): boolean {
  if (!missing) return true;
  if (process.env.CI) {
    describe(suite, () => {
      it('has the servers it needs to test against', ciFailure(missing));
    });
  } else {
    console.warn(`\n*** SKIPPING the ${suite} suite: ${missing}\n`);
    describe.skip(`${suite} (${missing})`, () => {
      it('needs servers', () => {});
    });
  }
  return false;
}

type TestBody = () => Promise<void> | void;

/** `it` for a test that needs something the machine may lack (`what`, when `present` is false). */
export function itNeeds(what: string, present: boolean): (name: string, body: TestBody, timeoutMs?: number) => void {
  if (present) return (name, body, timeoutMs) => it(name, body, timeoutMs);
  if (process.env.CI) return (name) => it(name, ciFailure(`${what} is missing`));
  console.warn(`\n*** SKIPPING tests that need ${what}\n`);
  return (name, body) => it.skip(`${name} (needs ${what})`, body);
}

/** Whether a program is installed where Debian puts it. */
export const installed = (program: string): boolean =>
  ['/usr/bin', '/bin', '/usr/local/bin'].some((dir) => fs.existsSync(path.join(dir, program)));
