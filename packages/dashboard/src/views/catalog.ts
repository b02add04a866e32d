import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { html } from '../html.js';
import { StartForm, type InputSpec } from './start-form.js';

interface Item {
  name: string;
  type: string;
  description: string;
  version: string;
  path: string;
  metadata: { inputs?: InputSpec[]; tags?: string[]; author?: string };
}

export function CatalogView({ open }: { open: (id: string) => void }) {
  const [capabilities, setCapabilities] = useState<Item[]>([]);
  const [blocks, setBlocks] = useState<Item[]>([]);
  const [selected, setSelected] = useState<{ kind: 'capability' | 'block'; item: Item } | undefined>();
  const [error, setError] = useState('');
  useEffect(() => {
    api.get<{ capabilities: Item[] }>('/v1/capabilities').then((r) => setCapabilities(r.capabilities), (e: Error) => setError(e.message));
    api.get<{ actionBlocks: Item[] }>('/v1/action-blocks').then((r) => setBlocks(r.actionBlocks), (e: Error) => setError(e.message));
  }, []);

  async function start(params: Record<string, unknown>) {
    if (!selected) return;
    const { kind, item } = selected;
    const reply =
      kind === 'capability'
        ? await api.post<{ sideExecutionId: string }>(`/v1/capabilities/${encodeURIComponent(item.name)}/start`, { type: item.type, params })
        : await api.post<{ sideExecutionId: string }>('/v1/executions', { actionBlockPath: item.path, params });
    open(reply.sideExecutionId);
  }

  const list = (kind: 'capability' | 'block', items: Item[]) => html`
    <table>
      <thead><tr><th scope="col">Name</th><th scope="col">Type</th><th scope="col">Description</th><th scope="col">Inputs</th></tr></thead>
      <tbody>
        ${items.map(
          (item) => html`<tr class="row">
            <td><button type="button" onClick=${() => setSelected({ kind, item })} aria-label=${`open ${item.name}`}>${item.name}</button></td>
            <td>${item.type}</td>
            <td>${item.description}</td>
            <td>${(item.metadata.inputs ?? []).map((i) => i.name).join(', ')}</td>
          </tr>`,
        )}
      </tbody>
    </table>
    ${items.length === 0 && html`<p class="muted">None.</p>`}
  `;
  return html`
    <section aria-labelledby="catalog-title">
      <h2 id="catalog-title">Catalog</h2>
      ${error && html`<p class="notice error" role="alert">${error}</p>`}
      ${selected &&
      html`<div class="card" aria-labelledby="selected-title">
        <h3 id="selected-title">${selected.item.name} <span class="muted">${selected.item.type} ${selected.item.version}</span></h3>
        <p>${selected.item.description}</p>
        <dl>
          <dt>Path</dt><dd>${selected.item.path}</dd>
          ${selected.item.metadata.author && html`<dt>Author</dt><dd>${selected.item.metadata.author}</dd>`}
          ${selected.item.metadata.tags?.length && html`<dt>Tags</dt><dd>${selected.item.metadata.tags.join(', ')}</dd>`}
        </dl>
        <h3>Start</h3>
        <${StartForm} key=${selected.item.path} id=${`start-${selected.item.name}`} inputs=${selected.item.metadata.inputs ?? []} onStart=${start} />
      </div>`}
      <h3>Capabilities</h3>
      ${list('capability', capabilities)}
      <h3>Action blocks</h3>
      ${list('block', blocks)}
    </section>
  `;
}
