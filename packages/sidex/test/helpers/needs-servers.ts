import { describe, it } from 'vitest';

/**
 * Whether a suite that needs outside servers (Redis, PostgreSQL) can run
 * here. Without them it is skipped with the reason, except under CI, which
 * must run it for real: there a missing server is a failing test.
 */
export function serversFor(suite: string, missing: string | undefined): boolean {
  if (!missing) return true;
  if (process.env.CI) {
    describe(suite, () => {
      it('has the servers it needs to test against', () => {
        throw new Error(`${missing} (CI is set, so this fails instead of skipping)`);
      });
    });
  } else {
    console.warn(`\n*** SKIPPING the ${suite} suite: ${missing}\n`);
    describe.skip(`${suite} (${missing})`, () => {
      it('needs servers', () => {});
    });
  }
  return false;
}
