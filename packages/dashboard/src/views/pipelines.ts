import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { html } from '../html.js';

interface Task {
  status: {
    token: string;
    name: string;
    status: string;
    threads: number;
    totalCount: number;
    completedCount: number;
    failedCount: number;
    cancelledCount: number;
    inProgressCount: number;
    rateCount: number;
    pipeflow: { byPipe: Record<string, string[]> };
  };
  components: Array<{ id: string; provider: string; from: string[] }>;
}

/** Items now at each component, from the task's pipe flow. */
function atComponent(task: Task): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const path of Object.values(task.status.pipeflow?.byPipe ?? {})) {
    const here = path.at(-1);
    if (here) counts[here] = (counts[here] ?? 0) + 1;
  }
  return counts;
}

export function PipelinesView() {
  const [tasks, setTasks] = useState<Task[]>([]);
  const [notice, setNotice] = useState<{ text: string; error?: boolean } | undefined>();
  const reload = () => api.get<{ tasks: Task[] }>('/v1/tasks').then((r) => setTasks(r.tasks), (e: Error) => setNotice({ text: e.message, error: true }));
  useEffect(() => {
    void reload();
    const timer = window.setInterval(() => void reload(), 1000);
    return () => clearInterval(timer);
  }, []);

  async function terminate(token: string) {
    setNotice({ text: `Terminating ${token}: items in progress drain first…` });
    try {
      await api.delete(`/task?token=${encodeURIComponent(token)}`);
      setNotice({ text: `Terminated ${token}` });
    } catch (err) {
      setNotice({ text: `Terminate failed: ${(err as Error).message}`, error: true });
    }
    void reload();
  }

  return html`
    <section aria-labelledby="pipelines-title">
      <h2 id="pipelines-title">Pipelines</h2>
      ${notice && html`<p class=${`notice${notice.error ? ' error' : ''}`} role=${notice.error ? 'alert' : 'status'}>${notice.text}</p>`}
      ${tasks.length === 0 && html`<p class="muted">No task is running.</p>`}
      <div class="grid">
        ${tasks.map((task) => {
          const s = task.status;
          const here = atComponent(task);
          return html`<div class="card" data-token=${s.token} aria-label=${`task ${s.name}`}>
            <h3>${s.name} <span class="muted">${s.token}</span></h3>
            <dl>
              <dt>State</dt><dd>${s.status}</dd>
              <dt>Items</dt><dd data-testid="counts">${s.totalCount} in, ${s.completedCount} completed, ${s.failedCount} failed, ${s.cancelledCount} cancelled, ${s.inProgressCount} in progress</dd>
              <dt>Rate</dt><dd>${s.rateCount} items/s</dd>
              <dt>Threads</dt><dd>${s.threads}</dd>
            </dl>
            <h3>Components</h3>
            <div class="flow" role="list">
              ${task.components.map(
                (c, i) => html`${i > 0 && html`<span class="arrow" aria-hidden="true">→</span>`}<span class="node" role="listitem">${c.id} <span class="muted">(${c.provider}${c.from.length ? ` ← ${c.from.join(', ')}` : ''})</span>${here[c.id] ? ` · ${here[c.id]} now` : ''}</span>`,
              )}
            </div>
            <div class="actions"><button type="button" class="danger" onClick=${() => terminate(s.token)}>Terminate</button></div>
          </div>`;
        })}
      </div>
    </section>
  `;
}
