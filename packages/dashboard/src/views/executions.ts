import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import { html } from '../html.js';
import { subscribe } from '../live.js';
import { EXECUTION_STATUSES } from '@sidex/protocol';
import { bytes, duration, kindOf, time, type Execution } from '../types.js';

const SINCE: Record<string, number> = { '': 0, '1h': 3600e3, '24h': 86400e3, '7d': 7 * 86400e3 };

interface Filters {
  status: string;
  kind: string;
  q: string;
  since: string;
}

function listUrl(f: Filters, cursor?: string): string {
  const query = new URLSearchParams({ limit: '50' });
  if (f.status) query.set('status', f.status);
  if (f.kind) query.set('kind', f.kind);
  if (f.q) query.set('q', f.q);
  if (f.since) query.set('since', String(Date.now() - SINCE[f.since]!));
  if (cursor) query.set('cursor', cursor);
  return `/v1/executions?${query}`;
}

export function ExecutionsView({ open }: { open: (id: string) => void }) {
  const [filters, setFilters] = useState<Filters>({ status: '', kind: '', q: '', since: '' });
  const [rows, setRows] = useState<Execution[]>([]);
  const [pages, setPages] = useState<string[]>([]);
  const [next, setNext] = useState<string | undefined>();
  const [error, setError] = useState('');
  const cursor = pages.at(-1);
  const reload = useRef(() => {});

  reload.current = () => {
    api
      .get<{ executions: Execution[]; nextCursor?: string }>(listUrl(filters, cursor))
      .then((page) => {
        setRows(page.executions);
        setNext(page.nextCursor);
        setError('');
      })
      .catch((err: Error) => setError(err.message));
  };
  useEffect(() => reload.current(), [filters, cursor]);

  useEffect(() => {
    let pending: number | undefined;
    // Bursts of events (hundreds a second) become one reload per half second.
    const soon = () => (pending ??= window.setTimeout(() => ((pending = undefined), reload.current()), 500));
    const stop = subscribe((e) => e.event === 'status' && soon(), soon);
    // Memory, CPU and durations of running executions move without events.
    const timer = window.setInterval(() => reload.current(), 2000);
    return () => (stop(), clearInterval(timer), clearTimeout(pending));
  }, []);

  const set = (key: keyof Filters) => (e: Event) => {
    setPages([]);
    setFilters({ ...filters, [key]: (e.target as HTMLInputElement).value });
  };
  return html`
    <section aria-labelledby="executions-title">
      <h2 id="executions-title">Executions</h2>
      <form class="filters" role="search" onSubmit=${(e: Event) => e.preventDefault()}>
        <label>Status
          <select value=${filters.status} onChange=${set('status')}>
            <option value="">any</option>
            ${EXECUTION_STATUSES.map((s) => html`<option value=${s}>${s}</option>`)}
          </select>
        </label>
        <label>Kind
          <select value=${filters.kind} onChange=${set('kind')}>
            <option value="">any</option><option value="inline">inline</option><option value="block">block</option><option value="command">command</option>
          </select>
        </label>
        <label>Name contains <input type="search" value=${filters.q} onInput=${set('q')} /></label>
        <label>Started
          <select value=${filters.since} onChange=${set('since')}>
            <option value="">any time</option><option value="1h">last hour</option><option value="24h">last day</option><option value="7d">last week</option>
          </select>
        </label>
      </form>
      ${error && html`<p class="notice error" role="alert">${error}</p>`}
      <table>
        <thead><tr><th scope="col">Id</th><th scope="col">Status</th><th scope="col">Kind</th><th scope="col">Name</th><th scope="col">Worker</th><th scope="col">Started</th><th scope="col">Duration</th><th scope="col">Memory</th><th scope="col">CPU</th></tr></thead>
        <tbody>
          ${rows.map(
            (r) => html`<tr class="row" data-id=${r.sideExecutionId}>
              <td><a href=${`#/executions/${r.sideExecutionId}`} onClick=${(e: Event) => (e.preventDefault(), open(r.sideExecutionId))}>${r.sideExecutionId}</a></td>
              <td class=${`status status-${r.status}`}>${r.status}</td>
              <td>${kindOf(r)}</td>
              <td>${r.name}</td>
              <td>${r.worker ?? '—'}</td>
              <td>${time(r.startTime)}</td>
              <td>${duration(r.duration ?? (r.status === 'running' ? Date.now() - r.startTime : undefined))}</td>
              <td>${bytes(r.memoryUsage || r.peakMemoryUsage)}</td>
              <td>${duration(r.cpuTime)}</td>
            </tr>`,
          )}
        </tbody>
      </table>
      ${rows.length === 0 && !error && html`<p class="muted">No executions match.</p>`}
      <div class="actions">
        <button type="button" disabled=${pages.length === 0} onClick=${() => setPages(pages.slice(0, -1))}>Newer</button>
        <button type="button" disabled=${!next} onClick=${() => next && setPages([...pages, next])}>Older</button>
      </div>
    </section>
  `;
}
