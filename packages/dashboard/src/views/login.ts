import { useState } from 'preact/hooks';
import { login } from '../api.js';
import { html } from '../html.js';

/** The key is typed once; the server trades it for a session cookie and it is not kept anywhere. */
export function LoginView({ done }: { done: () => void }) {
  const [error, setError] = useState('');
  async function submit(e: Event) {
    e.preventDefault();
    const input = (e.target as HTMLFormElement).elements.namedItem('apiKey') as HTMLInputElement;
    try {
      await login(input.value);
      input.value = '';
      done();
    } catch (err) {
      setError((err as Error).message);
    }
  }
  return html`
    <main>
      <form class="login" onSubmit=${submit} aria-labelledby="login-title">
        <h2 id="login-title">Log in to sidex</h2>
        <label for="api-key">API key</label>
        <input id="api-key" name="apiKey" type="password" autocomplete="current-password" required />
        ${error && html`<p class="notice error" role="alert">${error}</p>`}
        <button type="submit" class="primary">Log in</button>
        <p class="muted">The key is sent once; the session lives in an HttpOnly cookie. <code>sidex serve</code> printed the key when it generated it, or it is in the data directory's <code>api-key</code> file.</p>
      </form>
    </main>
  `;
}
