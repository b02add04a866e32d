import { useEffect, useState } from 'preact/hooks';
import type { WorkerInfo, WorkersFields } from '@sidex/protocol';
import { api } from '../api.js';
import { html } from '../html.js';
import { bytes, duration } from '../types.js';

/** Fetches `GET /v1/workers` now and every second while shown. */
function useWorkers(): { view: WorkersFields | undefined; error: string } {
  const [view, setView] = useState<WorkersFields | undefined>();
  const [error, setError] = useState('');
  useEffect(() => {
    const reload = () =>
      api.get<WorkersFields>('/v1/workers').then(
        (v) => (setView(v), setError('')),
        (e: Error) => setError(e.message),
      );
    void reload();
    const timer = window.setInterval(() => void reload(), 1000);
    return () => clearInterval(timer);
  }, []);
  return { view, error };
}

const ago = (ms: number) => `${duration(Math.round(ms / 100) * 100)} ago`;

function WorkerRow({ w }: { w: WorkerInfo }) {
  return html`<tr class="row" data-worker=${w.name}>
    <th scope="row">${w.name}</th>
    <td class=${`worker-${w.state}`}>${w.state}</td>
    <td data-testid="load">
      <meter min="0" max=${w.concurrency} value=${w.running} aria-label=${`load of ${w.name}`}></meter>
      ${' '}${w.running} / ${w.concurrency}
    </td>
    <td>${w.tags.length ? w.tags.join(', ') : html`<span class="muted">none</span>`}</td>
    <td>${ago(w.heartbeatAgeMs)}</td>
    <td>${w.host ?? ''}${w.pid !== undefined ? html` <span class="muted">pid ${w.pid}</span>` : ''}</td>
    <td>${w.startedAt ? duration(Date.now() - w.startedAt) : ''}</td>
    <td>${w.memoryBytes ? bytes(w.memoryBytes) : ''}</td>
    <td data-testid="isolation" class=${w.isolation?.mode === 'process' ? 'isolation-process' : ''}>
      ${w.isolation?.mode ?? ''}${w.isolation?.reason ? html` <span class="muted">${w.isolation.reason}</span>` : ''}
    </td>
  </tr>`;
}

export function WorkersView() {
  const { view, error } = useWorkers();
  return html`
    <section aria-labelledby="workers-title">
      <h2 id="workers-title">Workers</h2>
      ${error && html`<p class="notice error" role="alert">${error}</p>`}
      ${!view && !error && html`<p class="muted" role="status">Loading…</p>`}
      ${view && !view.clustered && html`<p class="notice" data-testid="local">
        This server is not part of a cluster: it runs its executions itself${view.local ? ` (${view.local.running} running of ${view.local.concurrency}, ${view.local.queued} queued).` : '.'}
      </p>`}
      ${view?.clustered &&
      html`
        <table aria-describedby="workers-note">
          <caption class="sr-only">Workers of the cluster</caption>
          <thead><tr><th scope="col">Worker</th><th scope="col">State</th><th scope="col">Load</th><th scope="col">Tags</th><th scope="col">Heartbeat</th><th scope="col">Host</th><th scope="col">Up</th><th scope="col">Memory</th><th scope="col">Isolation</th></tr></thead>
          <tbody>${view.workers.map((w) => html`<${WorkerRow} key=${w.name} w=${w} />`)}</tbody>
        </table>
        ${view.workers.length === 0 && html`<p class="muted">No worker has registered with the queue.</p>`}
        <p id="workers-note" class="muted">A worker without a heartbeat for ${duration(view.staleAfterMs)} is stale: its executions are recorded as lost. Stale workers stay listed for an hour. Memory is the worker process's own, not its executions'. A worker whose isolation is process runs its executions unsandboxed, and says why.</p>
        <h3 id="queues-title">Queues</h3>
        <table aria-labelledby="queues-title">
          <thead><tr><th scope="col">Queue</th><th scope="col">Requires tags</th><th scope="col">Waiting</th><th scope="col">Active</th><th scope="col">Retrying later</th><th scope="col">Workers serving it</th></tr></thead>
          <tbody>
            ${view.queues.map(
              (q) => html`<tr class="row" data-queue=${q.name}>
                <th scope="row">${q.name}</th>
                <td>${q.tags.length ? q.tags.join(', ') : html`<span class="muted">none</span>`}</td>
                <td data-testid="waiting">${q.waiting}</td>
                <td data-testid="active">${q.active}</td>
                <td>${q.delayed}</td>
                <td class=${q.workers === 0 && q.waiting > 0 ? 'worker-stale' : ''}>${q.workers}</td>
              </tr>`,
            )}
          </tbody>
        </table>
      `}
    </section>
  `;
}
