import { useEffect, useRef, useState } from 'preact/hooks';
import type { HistoryEvent, ProcessInfo } from '@sidex/protocol';
import { api, asCurl } from '../api.js';
import { html } from '../html.js';
import { subscribe } from '../live.js';
import { bytes, duration, kindOf, TERMINAL, time, type Execution } from '../types.js';

const json = (value: unknown) => (value === undefined ? '' : JSON.stringify(value, null, 2));

export function ExecutionView({ id, open }: { id: string; open: (id: string) => void }) {
  const [exec, setExec] = useState<Execution | undefined>();
  const [history, setHistory] = useState<HistoryEvent[]>([]);
  const [processes, setProcesses] = useState<ProcessInfo[]>([]);
  const [notice, setNotice] = useState<{ text: string; error?: boolean } | undefined>();
  const [grace, setGrace] = useState('0');
  const [curl, setCurl] = useState('');
  const reload = useRef(() => {});

  reload.current = () => {
    api.get<Execution>(`/v1/executions/${id}`).then(setExec, (err: Error) => setNotice({ text: err.message, error: true }));
    api.get<{ events: HistoryEvent[] }>(`/v1/executions/${id}/events`).then((r) => setHistory(r.events), () => undefined);
    api.get<{ processes: ProcessInfo[] }>(`/v1/executions/${id}/processes`).then((r) => setProcesses(r.processes), () => undefined);
  };
  useEffect(() => {
    reload.current();
    let pending: number | undefined;
    const soon = () => (pending ??= window.setTimeout(() => ((pending = undefined), reload.current()), 250));
    const stop = subscribe((e) => e.sideExecutionId === id && soon(), soon, id);
    const timer = window.setInterval(() => reload.current(), 2000);
    return () => (stop(), clearInterval(timer), clearTimeout(pending));
  }, [id]);

  async function act(label: string, body: () => Promise<void>) {
    setNotice({ text: `${label}…` });
    try {
      await body();
      reload.current();
    } catch (err) {
      setNotice({ text: `${label} failed: ${(err as Error).message}`, error: true });
    }
  }
  const stop = (options: Record<string, unknown>) =>
    act('Stopping', async () => {
      const reply = await api.post<{ status: string; forced?: boolean }>(`/v1/executions/${id}/stop`, options);
      setNotice({ text: `Stopped: ${reply.status}${reply.forced ? ' (forced)' : ''}` });
    });
  const forceOptions = () => (Number(grace) > 0 ? { graceMs: Number(grace) } : { force: true });

  if (!exec) return html`<p class="muted" role="status">${notice?.text ?? 'Loading…'}</p>`;
  const ended = TERMINAL.has(exec.status);
  return html`
    <section aria-labelledby="execution-title">
      <h2 id="execution-title">${exec.name} <span class="muted">${exec.sideExecutionId}</span></h2>
      ${notice && html`<p class=${`notice${notice.error ? ' error' : ''}`} role=${notice.error ? 'alert' : 'status'}>${notice.text}</p>`}
      <div class="actions">
        <button type="button" class="danger" disabled=${ended} onClick=${() => stop({})}>Stop</button>
        <label>Grace before SIGKILL (ms)<input type="number" min="0" value=${grace} onInput=${(e: Event) => setGrace((e.target as HTMLInputElement).value)} /></label>
        <button type="button" class="danger" disabled=${ended} onClick=${() => stop(forceOptions())}>Force stop</button>
        <button type="button" disabled=${!ended} onClick=${() =>
          act('Resuming', async () => {
            const reply = await api.post<{ sideExecutionId: string }>(`/v1/executions/${id}/resume`);
            open(reply.sideExecutionId);
          })}>Resume</button>
        <button type="button" onClick=${() => {
          const text = asCurl('GET', `/v1/executions/${id}`);
          setCurl(text);
          void navigator.clipboard?.writeText(text).catch(() => undefined);
        }}>Copy as curl</button>
      </div>
      ${curl && html`<pre aria-label="curl command">${curl}</pre>`}
      <div class="grid">
        <div class="card">
          <dl>
            <dt>Status</dt><dd class=${`status status-${exec.status}`} data-testid="status">${exec.status}${exec.forced ? ' (forced)' : ''}</dd>
            <dt>Kind</dt><dd>${kindOf(exec)}${exec.actionBlock ? ` (${exec.actionBlock})` : ''}</dd>
            <dt>Started</dt><dd>${time(exec.startTime)}</dd>
            <dt>Duration</dt><dd>${duration(exec.duration ?? Date.now() - exec.startTime)}</dd>
            <dt>Memory</dt><dd>${bytes(exec.memoryUsage)} (peak ${bytes(exec.peakMemoryUsage)})</dd>
            <dt>CPU</dt><dd>${duration(exec.cpuTime)}</dd>
            ${exec.stopReason && html`<dt>Stop reason</dt><dd>${exec.stopReason}</dd>`}
            ${exec.exitCode !== undefined && html`<dt>Exit</dt><dd>${exec.exitCode ?? exec.signal}</dd>`}
            ${exec.resumedFrom && html`<dt>Resumed from</dt><dd><a href=${`#/executions/${exec.resumedFrom}`}>${exec.resumedFrom}</a></dd>`}
          </dl>
        </div>
        <div class="card"><h3>Params</h3><pre tabindex="0">${json(exec.params)}</pre></div>
        ${exec.checkpoint !== undefined && html`<div class="card"><h3>Checkpoint</h3><pre tabindex="0">${json(exec.checkpoint)}</pre></div>`}
        ${exec.progress !== undefined && html`<div class="card"><h3>Progress</h3><pre tabindex="0">${json(exec.progress)}</pre></div>`}
      </div>
      <h3>Output</h3>
      <pre data-testid="stdout" aria-label="standard output" tabindex="0">${exec.output}</pre>
      ${exec.error && html`<h3>Standard error</h3><pre class="stderr" aria-label="standard error" tabindex="0">${exec.error}</pre>`}
      ${exec.result !== undefined && html`<h3>Result</h3><pre data-testid="result" tabindex="0">${json(exec.result)}</pre>`}
      ${exec.failure && html`<h3>Error</h3><pre class="stderr">${exec.failure.code ? `[${exec.failure.code}] ` : ''}${exec.failure.stack ?? exec.failure.message}</pre>`}
      ${!ended &&
      html`<h3>Processes</h3>
        <table data-testid="processes">
          <thead><tr><th scope="col">PID</th><th scope="col">Parent</th><th scope="col">Memory</th><th scope="col">CPU</th><th scope="col">Command</th></tr></thead>
          <tbody>${processes.map((p) => html`<tr><td>${p.pid}</td><td>${p.ppid}</td><td>${bytes(p.memoryBytes)}</td><td>${duration(p.cpuMs)}</td><td><code>${p.command}</code></td></tr>`)}</tbody>
        </table>`}
      <h3>History</h3>
      <table>
        <thead><tr><th scope="col">#</th><th scope="col">Time</th><th scope="col">Event</th><th scope="col">Details</th></tr></thead>
        <tbody>${history.map((e) => html`<tr><td>${e.seq}</td><td>${time(e.time)}</td><td>${e.type}</td><td><code>${e.data === undefined ? '' : JSON.stringify(e.data)}</code></td></tr>`)}</tbody>
      </table>
    </section>
  `;
}
