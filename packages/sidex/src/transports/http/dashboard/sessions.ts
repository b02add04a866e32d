// Dashboard sessions: the API key is entered once and traded for a random
// session id in an HttpOnly, SameSite=Strict cookie, so the key never sits in
// the page, a URL or a log. Each session has a CSRF token that every request
// that changes something must echo in a header (a synchronizer token: another
// site can neither read it nor set the header without CORS, which sidex never
// allows).
import crypto from 'node:crypto';
import { parse as parseCookie, serialize } from 'cookie';
import type { IncomingHttpHeaders } from 'node:http';

export const SESSION_COOKIE = 'sidex_session';
export const CSRF_HEADER = 'x-sidex-csrf';
/** A working day; a new login after that. */
const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** Sessions held at most: logins beyond it push out the oldest. */
const MAX_SESSIONS = 1000;

interface Session {
  csrf: string;
  expires: number;
}

export class DashboardSessions {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly ttlMs = SESSION_TTL_MS) {}

  create(): { id: string; csrf: string } {
    const id = crypto.randomBytes(32).toString('base64url');
    const csrf = crypto.randomBytes(32).toString('base64url');
    this.sessions.set(id, { csrf, expires: Date.now() + this.ttlMs });
    if (this.sessions.size > MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    return { id, csrf };
  }

  /** The session the request's cookie names, if it is live. */
  of(headers: IncomingHttpHeaders): ({ id: string } & Session) | undefined {
    const id = headers.cookie ? parseCookie(headers.cookie)[SESSION_COOKIE] : undefined;
    const session = id ? this.sessions.get(id) : undefined;
    if (!id || !session) return undefined;
    if (session.expires < Date.now()) {
      this.sessions.delete(id);
      return undefined;
    }
    return { id, ...session };
  }

  /** Whether the request carries the session's CSRF token in its header. */
  csrfMatches(session: Session, headers: IncomingHttpHeaders): boolean {
    const presented = headers[CSRF_HEADER];
    if (typeof presented !== 'string') return false;
    const a = Buffer.from(presented);
    const b = Buffer.from(session.csrf);
    return a.length === b.length && crypto.timingSafeEqual(a, b);
  }

  delete(id: string): void {
    this.sessions.delete(id);
  }

  cookie(id: string, secure: boolean): string {
    return serialize(SESSION_COOKIE, id, { httpOnly: true, sameSite: 'strict', path: '/', secure, maxAge: Math.floor(this.ttlMs / 1000) });
  }

  clearedCookie(secure: boolean): string {
    return serialize(SESSION_COOKIE, '', { httpOnly: true, sameSite: 'strict', path: '/', secure, maxAge: 0 });
  }
}
