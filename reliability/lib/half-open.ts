// Half-open sockets: clients that connect and stall, stop halfway through an
// HTTP request, a WebSocket handshake or a WebSocket frame, or vanish in the
// middle of one. Raw TCP, so that nothing completes what the test leaves open.
import net from 'node:net';

export interface HalfOpenKind {
  name: string;
  /** Brings a socket to the half-open state it names. */
  open(port: number, key: string): Promise<net.Socket>;
  /** Destroy the socket once in that state (close mid-frame) rather than leave it stalled. */
  vanish?: true;
}

const connect = (port: number) =>
  new Promise<net.Socket>((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });

/** A socket past the WebSocket handshake of `path`. */
async function upgraded(port: number, path: string, key: string): Promise<net.Socket> {
  const socket = await connect(port);
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer ${key}\r\n\r\n`,
  );
  await new Promise<void>((resolve, reject) => {
    let head = '';
    const onData = (d: Buffer) => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      if (head.startsWith('HTTP/1.1 101')) resolve();
      else reject(new Error(`upgrade of ${path} refused: ${head.split('\r\n')[0]}`));
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
  socket.on('error', () => {});
  return socket;
}

/** The first part of a masked text frame that announces 1,000 bytes of payload and carries 10. */
function halfFrame(): Buffer {
  return Buffer.concat([Buffer.from([0x81, 0x80 | 126, 0x03, 0xe8, 1, 2, 3, 4]), Buffer.from('{"type":"s')]);
}

const stalled = (socket: net.Socket) => (socket.on('error', () => {}), socket);

export const HALF_OPEN_KINDS: HalfOpenKind[] = [
  { name: 'TCP connect, then nothing', open: async (port) => stalled(await connect(port)) },
  {
    name: 'half an HTTP request (headers not ended)',
    open: async (port) => {
      const socket = stalled(await connect(port));
      socket.write('GET /v1/executions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bear');
      return socket;
    },
  },
  {
    name: 'HTTP body shorter than its Content-Length',
    open: async (port, key) => {
      const socket = stalled(await connect(port));
      socket.write(`POST /v1/executions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"inlineCode":"ret`);
      return socket;
    },
  },
  {
    name: 'half a WebSocket handshake (/codebolt)',
    open: async (port) => {
      const socket = stalled(await connect(port));
      socket.write('GET /codebolt HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upg');
      return socket;
    },
  },
  ...(['/codebolt', '/task/service'] as const).flatMap((path): HalfOpenKind[] => [
    {
      name: `half a WebSocket frame, then nothing (${path})`,
      open: async (port, key) => {
        const socket = await upgraded(port, path, key);
        socket.write(halfFrame());
        return socket;
      },
    },
    {
      name: `closed in the middle of a WebSocket frame (${path})`,
      vanish: true,
      open: async (port, key) => {
        const socket = await upgraded(port, path, key);
        socket.write(halfFrame());
        return socket;
      },
    },
  ]),
];
