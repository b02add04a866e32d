// `import codebolt from '@sidex/client/codebolt'`: a client configured from
// the environment, so a program written against the Codebolt side-execution
// and capability documents runs after changing only its import line.
import { SidexClient } from './client.js';

const codebolt = new SidexClient({
  url: process.env.SIDEX_URL ?? 'http://127.0.0.1:5565',
  ...(process.env.SIDEX_API_KEY ? { apiKey: process.env.SIDEX_API_KEY } : {}),
});

export default codebolt;
export { codebolt };
