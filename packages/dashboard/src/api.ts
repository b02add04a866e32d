// Every call the dashboard makes: same origin, the session cookie (HttpOnly,
// so this code never sees it) and the CSRF token on anything that changes
// something. The API key itself is sent once, to log in, and never kept.

export class ApiError extends Error {
  constructor(message: string, readonly code: string, readonly status: number) {
    super(message);
  }
}

let csrfToken: string | undefined;

async function call<T>(method: string, url: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-sidex-csrf'] = csrfToken;
  const res = await fetch(url, { method, headers, credentials: 'same-origin', ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  const json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  if (!res.ok || json.success === false || json.status === 'Error') {
    const error = json.error as string | { message?: string; code?: string } | undefined;
    const message = typeof error === 'string' ? error : (error?.message ?? `HTTP ${res.status}`);
    const code = (json.code as string | undefined) ?? (typeof error === 'object' ? error?.code : undefined) ?? 'HTTP_ERROR';
    throw new ApiError(message, code, res.status);
  }
  return json as T;
}

export const api = {
  get: <T>(url: string) => call<T>('GET', url),
  post: <T>(url: string, body: unknown = {}) => call<T>('POST', url, body),
  delete: <T>(url: string) => call<T>('DELETE', url),
};

/** Logs in with the key; the server answers with a cookie and the CSRF token. */
export async function login(apiKey: string): Promise<void> {
  const reply = await call<{ csrfToken: string }>('POST', '/dashboard/session', { apiKey });
  csrfToken = reply.csrfToken;
}

/** Whether the cookie still names a live session (after a reload). */
export async function resumeSession(): Promise<boolean> {
  try {
    csrfToken = (await call<{ csrfToken: string }>('GET', '/dashboard/session')).csrfToken;
    return true;
  } catch {
    return false;
  }
}

export async function logout(): Promise<void> {
  await call('DELETE', '/dashboard/session');
  csrfToken = undefined;
}

/** The curl command that does the same as a dashboard action, with the key left as a variable. */
export function asCurl(method: string, path: string, body?: unknown): string {
  const data = body === undefined ? '' : ` -H 'content-type: application/json' -d '${JSON.stringify(body).replace(/'/g, "'\\''")}'`;
  return `curl -X ${method} -H "authorization: Bearer $SIDEX_API_KEY" '${location.origin}${path}'${data}`;
}
