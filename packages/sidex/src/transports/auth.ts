import type { IncomingHttpHeaders } from 'node:http';
import { SidexError } from '../errors.js';

/** What a request must pass to be served: the server's key check. */
export interface Authenticator {
  matches(presented: string | undefined): boolean;
}

/** The key a request presents: `Authorization: Bearer <key>`, or (where headers cannot be set) a `token` query parameter. */
export function presentedKey(headers: IncomingHttpHeaders, query?: URLSearchParams): string | undefined {
  const header = headers.authorization;
  if (typeof header === 'string') {
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    return match ? match[1]!.trim() : undefined;
  }
  return query?.get('token') ?? undefined;
}

/** A key given in a message (RocketRide's `auth` command): a `Bearer ` prefix is stripped. */
export function stripBearer(credential: string): string {
  return credential.trim().replace(/^Bearer\s+/i, '').trim();
}

export function unauthorized(presented: string | undefined, headers?: IncomingHttpHeaders): SidexError {
  if (presented !== undefined) return new SidexError('UNAUTHORIZED', 'the API key is not valid');
  // A header in another scheme (Basic, or the bare key) is not "no key": say what is wrong with it.
  if (typeof headers?.authorization === 'string') {
    return new SidexError('UNAUTHORIZED', 'the Authorization header must be "Bearer <key>"', { field: 'authorization' });
  }
  return new SidexError('UNAUTHORIZED', 'an API key is required: send "Authorization: Bearer <key>" (WebSocket: ?token=<key>)');
}
