// The hosts an execution with `network: { allow: [...] }` may reach through the
// filtering proxy. Decisions are made on the host as the client named it (the
// CONNECT target or the absolute URI's host), never on what it resolves to:
// a name only ever matches name entries, an IP literal only IP entries.
//
// Rules, chosen and fixed here:
// - `example.com` matches that host exactly, on any port.
// - `*.example.com` matches strict subdomains only (`a.example.com`,
//   `a.b.example.com`), not `example.com` itself: list both to allow both.
//   The wildcard needs at least two labels after it (`*.com` is refused) and
//   never matches an IP literal.
// - `host:port` (and `[v6]:port`) matches that port only; without a port any
//   port matches.
// - IPv4 literals and bracketed IPv6 literals match the same address however a
//   request spells it (`127.1`, `[0:0::1]`, `[::ffff:127.0.0.1]` are
//   `127.0.0.1`, `::1`, `127.0.0.1`), because that address is what is dialed.
//   Unbracketed IPv6 is refused: `2001:db8::1:443` could be read two ways.
// - Case-insensitive, one trailing dot ignored, IDNs compared in punycode.
import { isIP } from 'node:net';
import { SidexError } from '../../../errors.js';

export type HostKind = 'name' | 'ipv4' | 'ipv6';

/** A host in the one spelling used for matching and dialing (IPv6 without brackets). */
export interface NormalHost {
  host: string;
  kind: HostKind;
}

export interface AllowRule {
  /** The entry as given. */
  entry: string;
  /** Normalized host; for a wildcard, the domain after `*.`. */
  host: string;
  kind: HostKind;
  wildcard: boolean;
  /** Undefined: any port. */
  port?: number;
}

const HINT = '(use host, host:port or *.domain)';
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;
// Characters URL parsing would decode or split on, so they never reach it.
const FORBIDDEN = /[\s%/\\@?#]/;

/**
 * Normalizes a host as a client may send it: lower case, punycode, one trailing
 * dot dropped, IPv4 in dotted-quad form, IPv6 compressed and unbracketed, an
 * IPv4-mapped IPv6 address as its IPv4 address. Undefined when it is no host.
 */
export function normalizeHost(raw: string): NormalHost | undefined {
  if (raw === '' || FORBIDDEN.test(raw) || raw.includes('*')) return undefined;
  const bracketed = raw.startsWith('[') && raw.endsWith(']');
  if (!bracketed && raw.includes(':')) return undefined;
  let host: string;
  try {
    host = new URL(`http://${raw}/`).hostname;
  } catch {
    return undefined;
  }
  if (host.startsWith('[')) {
    const v6 = host.slice(1, -1);
    const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(v6);
    if (mapped) {
      const hi = parseInt(mapped[1]!, 16);
      const lo = parseInt(mapped[2]!, 16);
      return { host: `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`, kind: 'ipv4' };
    }
    return isIP(v6) === 6 ? { host: v6, kind: 'ipv6' } : undefined;
  }
  if (bracketed) return undefined;
  if (isIP(host) === 4) return { host, kind: 'ipv4' };
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (host.length === 0 || host.length > 253) return undefined;
  const labels = host.split('.');
  if (!labels.every((l) => LABEL.test(l))) return undefined;
  // URL parsing refuses a numeric last label that is no IPv4 address; keep that true here too.
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) return undefined;
  return { host, kind: 'name' };
}

/** Splits `host:port` / `[v6]:port` / `host` / `[v6]`; port undefined when absent, NaN when malformed. */
export function splitHostPort(raw: string): { host: string; port: number | undefined } {
  if (raw.startsWith('[')) {
    const close = raw.indexOf(']');
    if (close === -1) return { host: raw, port: undefined };
    const rest = raw.slice(close + 1);
    if (rest === '') return { host: raw, port: undefined };
    return { host: raw.slice(0, close + 1), port: rest.startsWith(':') ? parsePort(rest.slice(1)) : NaN };
  }
  const first = raw.indexOf(':');
  // Two colons or more: an unbracketed IPv6 address (or garbage), never split.
  if (first === -1 || raw.indexOf(':', first + 1) !== -1) return { host: raw, port: undefined };
  return { host: raw.slice(0, first), port: parsePort(raw.slice(first + 1)) };
}

function parsePort(text: string): number {
  if (!/^[0-9]{1,5}$/.test(text)) return NaN;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : NaN;
}

function refuse(field: string, index: number, entry: unknown, why: string): never {
  const shown = typeof entry === 'string' ? JSON.stringify(entry) : String(JSON.stringify(entry) ?? entry);
  throw new SidexError('INVALID_NETWORK', `${field}[${index}]: ${shown} ${why}`, { field, index, entry });
}

function parseRule(entry: unknown, index: number, field: string): AllowRule {
  if (typeof entry !== 'string' || entry === '') return refuse(field, index, entry, `is not a host pattern ${HINT}`);
  if (entry.includes('://') || FORBIDDEN.test(entry)) return refuse(field, index, entry, `is not a host pattern ${HINT}`);
  if (entry === '*') return refuse(field, index, entry, `would allow every host (use network: 'all' for that)`);
  const { host: hostPart, port } = splitHostPort(entry);
  if (Number.isNaN(port)) return refuse(field, index, entry, 'has an invalid port (a port is a number from 1 to 65535)');
  if (!hostPart.startsWith('[') && hostPart.split(':').length > 2) {
    return refuse(field, index, entry, 'is an IPv6 address without brackets (write [::1] or [::1]:443)');
  }
  let wildcard = false;
  let hostText = hostPart;
  if (hostText.startsWith('*.')) {
    wildcard = true;
    hostText = hostText.slice(2);
  }
  if (hostText.includes('*')) return refuse(field, index, entry, 'has a wildcard that is not a leading "*." (write *.example.com)');
  const normal = normalizeHost(hostText);
  if (!normal) return refuse(field, index, entry, `is not a valid host ${HINT}`);
  if (wildcard) {
    if (normal.kind !== 'name') return refuse(field, index, entry, 'puts a wildcard on an IP address (list the address itself)');
    if (!normal.host.includes('.')) return refuse(field, index, entry, 'is too broad (a wildcard needs a domain of two labels or more, e.g. *.example.com)');
  }
  return { entry, host: normal.host, kind: normal.kind, wildcard, ...(port === undefined ? {} : { port }) };
}

/** A parsed, immutable allowlist. */
export class Allowlist {
  private constructor(readonly rules: readonly AllowRule[]) {}

  /**
   * Parses entries, refusing the first bad one with SidexError INVALID_NETWORK
   * whose message names `field[index]` and the entry.
   */
  static parse(entries: unknown, field = 'network.allow'): Allowlist {
    if (!Array.isArray(entries)) {
      throw new SidexError('INVALID_NETWORK', `${field} must be a list of host patterns ${HINT}`, { field });
    }
    return new Allowlist(Object.freeze(entries.map((e: unknown, i) => Object.freeze(parseRule(e, i, field)))));
  }

  get entries(): string[] {
    return this.rules.map((r) => r.entry);
  }

  /**
   * Whether a request for `host` (as the client spelled it, brackets allowed for
   * IPv6) on `port` may go out. A host that does not normalize is refused.
   */
  allows(host: string, port: number): boolean {
    const normal = normalizeHost(host);
    return normal !== undefined && this.allowsNormal(normal, port);
  }

  allowsNormal(target: NormalHost, port: number): boolean {
    return this.rules.some((r) => {
      if (r.port !== undefined && r.port !== port) return false;
      if (r.wildcard) return target.kind === 'name' && target.host.endsWith(`.${r.host}`);
      return r.kind === target.kind && r.host === target.host;
    });
  }
}

/** Parses `network.allow` entries (see Allowlist.parse). */
export function parseAllowlist(entries: unknown, field = 'network.allow'): Allowlist {
  return Allowlist.parse(entries, field);
}
