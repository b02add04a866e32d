import { splitHostPort } from './allowlist.js';

const LOOPBACK = ['localhost', '127.0.0.1', '::1'];

/**
 * The hosts an allowlisted sandbox reaches directly, on its own loopback: by
 * default every loopback name, so that code talking to a server it started
 * itself works. A loopback host the allowlist names means the host machine's
 * (a service next to the server): that one goes through the proxy instead.
 */
export function noProxyFor(allow: readonly string[]): string {
  const listed = new Set(allow.map((entry) => splitHostPort(entry).host.replace(/^\[|\]$/g, '').toLowerCase()));
  return LOOPBACK.filter((host) => !listed.has(host)).join(',');
}
