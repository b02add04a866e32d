import { useState } from 'preact/hooks';
import { html } from '../html.js';

import type { InputSpec } from '@sidex/protocol';

export type { InputSpec };

/** Turns what was typed into the declared type; answers the problem when it does not fit. */
export function checkInputs(inputs: InputSpec[], values: Record<string, string>): { params: Record<string, unknown> } | { error: string } {
  const params: Record<string, unknown> = {};
  for (const input of inputs) {
    const raw = values[input.name] ?? '';
    if (raw === '') {
      if (input.required) return { error: `${input.name}: required` };
      continue;
    }
    const type = input.type.toLowerCase();
    if (type === 'number' || type === 'integer') {
      const n = Number(raw);
      if (!Number.isFinite(n) || (type === 'integer' && !Number.isInteger(n))) return { error: `${input.name}: must be ${type === 'integer' ? 'a whole number' : 'a number'}` };
      params[input.name] = n;
    } else if (type === 'boolean') {
      params[input.name] = raw === 'true';
    } else if (type === 'object' || type === 'array' || type === 'json') {
      try {
        params[input.name] = JSON.parse(raw);
      } catch {
        return { error: `${input.name}: must be JSON` };
      }
    } else {
      params[input.name] = raw;
    }
  }
  return { params };
}

/** A start form for declared inputs, checked before it is sent (the server checks again). */
export function StartForm({ id, inputs, onStart }: { id: string; inputs: InputSpec[]; onStart: (params: Record<string, unknown>) => Promise<void> }) {
  const [values, setValues] = useState<Record<string, string>>(() =>
    Object.fromEntries(inputs.filter((i) => i.default !== undefined).map((i) => [i.name, typeof i.default === 'string' ? i.default : JSON.stringify(i.default)])),
  );
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  async function submit(e: Event) {
    e.preventDefault();
    const checked = checkInputs(inputs, values);
    if ('error' in checked) return setError(checked.error);
    setError('');
    setBusy(true);
    try {
      await onStart(checked.params);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }
  return html`
    <form onSubmit=${submit} aria-label="start form">
      ${inputs.length === 0 && html`<p class="muted">No inputs.</p>`}
      ${inputs.map((input) => {
        const fieldId = `${id}-${input.name}`;
        const set = (e: Event) => setValues({ ...values, [input.name]: (e.target as HTMLInputElement).value });
        const control =
          input.type.toLowerCase() === 'boolean'
            ? html`<select id=${fieldId} value=${values[input.name] ?? ''} onChange=${set}><option value=""></option><option value="true">true</option><option value="false">false</option></select>`
            : html`<input id=${fieldId} name=${input.name} value=${values[input.name] ?? ''} onInput=${set} required=${Boolean(input.required)} />`;
        return html`<p><label for=${fieldId}>${input.name}${input.required ? ' (required)' : ''} · ${input.type}${input.description ? ` · ${input.description}` : ''}</label>${control}</p>`;
      })}
      ${error && html`<p class="notice error" role="alert">${error}</p>`}
      <button type="submit" class="primary" disabled=${busy}>Start</button>
    </form>
  `;
}
