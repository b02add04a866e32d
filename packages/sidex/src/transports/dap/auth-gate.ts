// Authentication of a DAP connection: the first request must be `auth` with the
// API key (a `Bearer ` prefix is stripped). Attempts are limited per
// connection, and failures per client address across connections.
import { SidexError } from '../../errors.js';
import { stripBearer, type Authenticator } from '../auth.js';

export interface AuthLimits {
  /** `auth` requests one connection may make in its life (successes and `deauth` cycles included). */
  maxAttemptsPerConnection: number;
  /** Failed attempts from one address within the window, after which its attempts are refused unchecked. */
  maxFailuresPerAddress: number;
  failureWindowMs: number;
  /** A connection that has not authenticated this long after opening (or after `deauth`) is closed. */
  authDeadlineMs: number;
}

export const DEFAULT_AUTH_LIMITS: AuthLimits = {
  maxAttemptsPerConnection: 10,
  maxFailuresPerAddress: 20,
  failureWindowMs: 60_000,
  authDeadlineMs: 30_000,
};

/** Addresses remembered at most; the oldest are forgotten first. */
const MAX_ADDRESSES = 10_000;

/** Failed attempts by client address, shared by every connection of one server. */
export class FailedAuths {
  private readonly byAddress = new Map<string, { count: number; since: number }>();

  constructor(private readonly limits: AuthLimits) {}

  /** Milliseconds until this address may try again, or 0. */
  retryIn(address: string, now = Date.now()): number {
    const entry = this.byAddress.get(address);
    if (!entry) return 0;
    const end = entry.since + this.limits.failureWindowMs;
    if (now >= end) {
      this.byAddress.delete(address);
      return 0;
    }
    return entry.count >= this.limits.maxFailuresPerAddress ? end - now : 0;
  }

  record(address: string, now = Date.now()): void {
    const entry = this.byAddress.get(address);
    if (entry && now < entry.since + this.limits.failureWindowMs) {
      entry.count++;
      return;
    }
    this.byAddress.delete(address);
    if (this.byAddress.size >= MAX_ADDRESSES) this.byAddress.delete(this.byAddress.keys().next().value!);
    this.byAddress.set(address, { count: 1, since: now });
  }
}

export interface Identity {
  userId: string;
  displayName: string;
  organizations: never[];
  teams: never[];
  clientName?: string;
  clientVersion?: string;
  server: { name: 'sidex'; version: string };
}

/** One connection's authentication state. */
export class AuthGate {
  authenticated = false;
  private attempts = 0;

  constructor(
    private readonly keys: Authenticator,
    private readonly failures: FailedAuths,
    private readonly limits: AuthLimits,
    private readonly address: string,
    private readonly version: string,
  ) {}

  /** `auth {auth, clientName?, clientVersion?}`: answers the identity, or throws (and the connection is to be closed). */
  authenticate(args: Record<string, unknown>): Identity {
    this.attempts++;
    if (this.attempts > this.limits.maxAttemptsPerConnection) {
      throw new SidexError('TOO_MANY_AUTH_ATTEMPTS', `auth: more than ${this.limits.maxAttemptsPerConnection} authentication attempts on one connection`);
    }
    const wait = this.failures.retryIn(this.address);
    if (wait > 0) {
      throw new SidexError('TOO_MANY_AUTH_ATTEMPTS', `auth: too many failed authentication attempts from this address; retry in ${Math.ceil(wait / 1000)} s`, { retryInMs: wait });
    }
    const { auth, clientName, clientVersion } = args;
    if (typeof auth !== 'string' || stripBearer(auth) === '') {
      this.fail();
      const what = auth === undefined || typeof auth === 'string' ? 'the API key is required' : `must be the API key as a string, not ${auth === null ? 'null' : typeof auth}`;
      throw new SidexError('UNAUTHORIZED', `auth: ${what}: send auth {auth: "<key>"} as the first request`, { field: 'auth' });
    }
    if (!this.keys.matches(stripBearer(auth))) {
      this.fail();
      throw new SidexError('UNAUTHORIZED', 'auth: the API key is not valid');
    }
    this.authenticated = true;
    return {
      userId: 'api-key',
      displayName: 'sidex API key',
      organizations: [],
      teams: [],
      ...(typeof clientName === 'string' ? { clientName: clientName.slice(0, 200) } : {}),
      ...(typeof clientVersion === 'string' ? { clientVersion: clientVersion.slice(0, 200) } : {}),
      server: { name: 'sidex', version: this.version },
    };
  }

  deauthenticate(): void {
    this.authenticated = false;
  }

  private fail(): void {
    this.authenticated = false;
    this.failures.record(this.address);
  }
}
