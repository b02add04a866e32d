import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, logout, resumeSession } from './api.js';
import { html } from './html.js';
import { CatalogView } from './views/catalog.js';
import { ExecutionView } from './views/execution.js';
import { ExecutionsView } from './views/executions.js';
import { LoginView } from './views/login.js';
import { PipelinesView } from './views/pipelines.js';
import { WorkersView } from './views/workers.js';
import type { WorkersFields } from '@sidex/protocol';

type Theme = 'light' | 'dark';

const route = () => location.hash.replace(/^#\/?/, '') || 'executions';

function initialTheme(): Theme {
  const saved = localStorage.getItem('sidex-theme');
  if (saved === 'light' || saved === 'dark') return saved;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

function App() {
  const [session, setSession] = useState<'unknown' | 'in' | 'out'>('unknown');
  const [path, setPath] = useState(route());
  const [theme, setTheme] = useState<Theme>(initialTheme);
  const [clustered, setClustered] = useState(false);
  useEffect(() => void resumeSession().then((ok) => setSession(ok ? 'in' : 'out')), []);
  // The Workers page is for a cluster; asked once per login.
  useEffect(() => {
    if (session === 'in') void api.get<WorkersFields>('/v1/workers').then((v) => setClustered(v.clustered), () => setClustered(false));
  }, [session]);
  useEffect(() => {
    const onHash = () => setPath(route());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem('sidex-theme', theme);
  }, [theme]);

  if (session === 'unknown') return html`<p class="muted" role="status">Loading…</p>`;
  if (session === 'out') return html`<${LoginView} done=${() => setSession('in')} />`;
  const open = (id: string) => (location.hash = `#/executions/${id}`);
  const [section, id] = path.split('/');
  const page =
    section === 'executions' && id
      ? html`<${ExecutionView} key=${id} id=${id} open=${open} />`
      : section === 'catalog'
        ? html`<${CatalogView} open=${open} />`
        : section === 'pipelines'
          ? html`<${PipelinesView} />`
          : section === 'workers'
            ? html`<${WorkersView} />`
            : html`<${ExecutionsView} open=${open} />`;
  const link = (target: string, label: string) => html`<a href=${`#/${target}`} aria-current=${section === target ? 'page' : undefined}>${label}</a>`;
  return html`
    <header>
      <h1>sidex</h1>
      <nav aria-label="sections">${link('executions', 'Executions')} ${link('catalog', 'Catalog')} ${link('pipelines', 'Pipelines')}${clustered ? html` ${link('workers', 'Workers')}` : ''}</nav>
      <button type="button" onClick=${() => setTheme(theme === 'dark' ? 'light' : 'dark')} aria-label=${`switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}>${theme === 'dark' ? 'Light' : 'Dark'} theme</button>
      <button type="button" onClick=${() => void logout().then(() => setSession('out'))}>Log out</button>
    </header>
    <main>${page}</main>
  `;
}

render(html`<${App} />`, document.getElementById('app')!);
