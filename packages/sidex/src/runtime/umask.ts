/**
 * A root server's sandboxes run as uids of their own with one group
 * (engine/sandbox/sandbox-user.ts): what one execution makes in a directory
 * they share (sandboxReadWrite) is writable by the next only with group
 * write, so the engine asks for umask 002 there. Read once, and dropped from
 * the environment the code and its programs see.
 */
export function applyUmask(): void {
  const mask = process.env.SIDEX_UMASK;
  delete process.env.SIDEX_UMASK;
  if (mask && /^[0-7]{3,4}$/.test(mask)) process.umask(parseInt(mask, 8));
}
