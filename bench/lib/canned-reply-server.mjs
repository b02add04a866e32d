// The floor for the getStatus rows: a bare `ws` server, in a process of its
// own like sidex, that reads each frame and answers it with one canned status
// reply carrying the frame's requestId. No server in Node on this machine can
// answer faster; sidex's latency is shown beside it. Plain JavaScript so it
// starts without the benchmark's TypeScript loader.
import { WebSocketServer } from 'ws';

const canned = JSON.parse(process.argv[2]);
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
wss.on('connection', (ws) =>
  ws.on('message', (data) => {
    const frame = JSON.parse(data.toString());
    ws.send(JSON.stringify({ ...canned, requestId: frame.requestId }));
  }),
);
wss.on('listening', () => process.send(wss.address().port));
process.on('disconnect', () => process.exit(0));
