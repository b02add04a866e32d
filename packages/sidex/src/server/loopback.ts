import net from 'node:net';

/** Whether binding `host` keeps the server reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (net.isIPv4(h)) return h.startsWith('127.');
  if (net.isIPv6(h)) return h === '::1' || /^::ffff:127\./.test(h);
  return false;
}

/**
 * The host a process on this machine connects to, to reach a server bound
 * to `host`: a wildcard address is reached on loopback; an IPv6 address is
 * bracketed, as it goes into a URL (`ws://<host>:<port>`).
 */
export function connectHost(host: string): string {
  const h = host.replace(/^\[|\]$/g, '');
  if (h === '' || h === '0.0.0.0' || h === '::') return '127.0.0.1';
  return net.isIPv6(h) ? `[${h}]` : h;
}
