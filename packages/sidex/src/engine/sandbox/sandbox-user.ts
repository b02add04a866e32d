// Sandboxed code never runs with the server's privileges. A root server first
// switches the runtime to a dedicated unprivileged uid (it would otherwise stay
// uid 0 on the host behind its user namespace, and own every root file it can
// see); any other server runs it under its own uid, inside a user namespace
// where it holds no capability over anything outside.
export interface SandboxUser {
  /** Set when the server is root: the host uid/gid the runtime is switched to before bwrap. */
  switchTo?: { uid: number; gid: number };
}

/** nobody/nogroup on Debian and most distributions. */
export const DEFAULT_SANDBOX_UID = 65534;

export function sandboxUser(uid: number | undefined): SandboxUser {
  if (process.getuid?.() !== 0) return {};
  const id = uid ?? DEFAULT_SANDBOX_UID;
  return { switchTo: { uid: id, gid: id } };
}
