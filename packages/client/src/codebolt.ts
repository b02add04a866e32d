// `import codebolt from '@sidex/client/codebolt'`: a client configured from
// the environment, so a program written against the Codebolt side-execution
// and capability documents runs after changing only its import line.
import { SidexClient } from './client.js';

const { agentId, parentAgentInstanceId, threadId } = process.env;
const codebolt = new SidexClient({
  url: process.env.SIDEX_URL ?? 'http://127.0.0.1:5565',
  ...(process.env.SIDEX_API_KEY ? { apiKey: process.env.SIDEX_API_KEY } : {}),
  // The caller, from the variables Codebolt gives an agent, as its own SDK forwards them.
  caller: { ...(agentId ? { agentId } : {}), ...(parentAgentInstanceId ? { parentAgentInstanceId } : {}), ...(threadId ? { threadId } : {}) },
});

export default codebolt;
export { codebolt };
