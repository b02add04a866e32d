// The open-loop latency probe for the getStatus rows: a load generator in a
// process of its own, like wrk, that allocates almost nothing per request.
// The SDK in the bench's process paused 3–7 ms in each of its own young
// collections (several a second at 20,000/s), and those pauses were counted
// as server latency. Here every request is a copy of one pre-encoded, masked
// WebSocket frame with its requestId digits patched in; each reply frame is
// scanned in place for its requestId and `"success":true`. Latency runs from
// the write of a tick's batch to the read of the reply.
// Plain JavaScript so it starts without the benchmark's TypeScript loader.
import crypto from 'node:crypto';
import net from 'node:net';

const { port, apiKey, id, connections, rate, seconds, warmupSeconds } = JSON.parse(process.argv[2]);
const DIGITS = 9;
const now = () => performance.now();

/** A masked client text frame; `at` is where the requestId digits start. */
function requestFrame() {
  const payload = Buffer.from(JSON.stringify({ type: 'sideExecution', action: 'getSideExecutionStatus', sideExecutionId: id, requestId: `L${'0'.repeat(DIGITS)}` }));
  const mask = crypto.randomBytes(4);
  const header = payload.length < 126 ? Buffer.from([0x81, 0x80 | payload.length]) : Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 255]);
  const at = payload.lastIndexOf(`L${'0'.repeat(DIGITS)}`) + 1;
  for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i % 4];
  return { bytes: Buffer.concat([header, mask, payload]), at: header.length + 4 + at, maskAt: (i) => mask[(i - header.length - 4) % 4] };
}

async function connect() {
  const socket = net.connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.write(
    `GET /codebolt HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer ${apiKey}\r\n\r\n`,
  );
  let head = Buffer.alloc(0);
  await new Promise((resolve, reject) => {
    const onData = (chunk) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      if (!head.subarray(0, 12).toString().startsWith('HTTP/1.1 101')) return reject(new Error(`upgrade refused: ${head.toString().split('\r\n')[0]}`));
      if (head.length > end + 4) socket.unshift(head.subarray(end + 4));
      resolve();
    };
    socket.on('data', onData);
  });
  return socket;
}

const MARKER = Buffer.from('"requestId":"L');
const SUCCESS = Buffer.from('"success":true');

/** Reads server frames (unmasked) and calls `onReply(n, ok)` for each; a frame split across reads is joined. */
function readReplies(socket, onReply) {
  let rest;
  socket.on('data', (chunk) => {
    const t = now();
    const buf = rest ? Buffer.concat([rest, chunk]) : chunk;
    rest = undefined;
    let offset = 0;
    while (offset + 2 <= buf.length) {
      let length = buf[offset + 1] & 0x7f;
      let start = offset + 2;
      if (length === 126) {
        if (start + 2 > buf.length) break;
        length = buf.readUInt16BE(start);
        start += 2;
      } else if (length === 127) {
        if (start + 8 > buf.length) break;
        length = Number(buf.readBigUInt64BE(start));
        start += 8;
      }
      const end = start + length;
      if (end > buf.length) break;
      const at = buf.indexOf(MARKER, start);
      if (at >= 0 && at < end) {
        let n = 0;
        for (let k = at + MARKER.length, stop = k + DIGITS; k < stop; k++) n = n * 10 + (buf[k] - 48);
        const ok = buf.indexOf(SUCCESS, start);
        onReply(n, t, ok >= 0 && ok < end);
      }
      offset = end;
    }
    if (offset < buf.length) rest = buf.subarray(offset);
  });
}

const sockets = await Promise.all(Array.from({ length: connections }, connect));
const frame = requestFrame();
let sentAt = new Float64Array(0);
let latency = new Float64Array(0);
let answered = 0;
let failed = 0;
let expected = 0;
let allAnswered = () => {};
for (const socket of sockets) {
  readReplies(socket, (n, t, ok) => {
    latency[n] = t - sentAt[n];
    if (!ok) failed++;
    if (++answered === expected) allAnswered();
  });
}

/** `rate` requests a second for `secs`, round robin over the sockets; one write per socket per tick. */
async function offer(secs) {
  const total = Math.round(rate * secs);
  sentAt = new Float64Array(total);
  latency = new Float64Array(total);
  answered = 0;
  failed = 0;
  expected = total;
  const done = new Promise((resolve) => (allAnswered = resolve));
  let batches = [];
  const fill = new Int32Array(sockets.length);
  const began = now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((now() - began) / 1000) * rate));
    // After a late tick more is due at once: the batches grow to hold it.
    const most = Math.ceil((due - sent) / sockets.length) * frame.bytes.length;
    if (batches.length === 0 || batches[0].length < most) batches = sockets.map(() => Buffer.allocUnsafe(Math.max(most, frame.bytes.length * 64)));
    fill.fill(0);
    const from = sent;
    for (; sent < due; sent++) {
      const s = sent % sockets.length;
      const base = fill[s]++ * frame.bytes.length;
      frame.bytes.copy(batches[s], base);
      for (let k = DIGITS - 1, v = sent; k >= 0; k--, v = Math.floor(v / 10)) {
        const i = frame.at + k;
        batches[s][base + i] = (48 + (v % 10)) ^ frame.maskAt(i);
      }
    }
    const t = now();
    for (let n = from; n < sent; n++) sentAt[n] = t;
    for (let s = 0; s < sockets.length; s++) if (fill[s] > 0) sockets[s].write(Buffer.from(batches[s].subarray(0, fill[s] * frame.bytes.length)));
    // 1 ms between bursts: spinning would take a core from the server.
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  const bound = setTimeout(() => allAnswered(), 30_000);
  await done;
  clearTimeout(bound);
  const elapsed = (now() - began) / 1000;
  if (answered < total) throw new Error(`${total - answered} of ${total} requests had no reply within 30 s`);
  if (failed > 0) throw new Error(`${failed} of ${total} replies were not success: true`);
  const sorted = Array.from(latency).sort((a, b) => a - b);
  const at = (p) => sorted[Math.min(total - 1, Math.ceil((p / 100) * total) - 1)];
  return { p50: at(50), p99: at(99), achieved: total / elapsed };
}

try {
  await offer(warmupSeconds);
  process.send({ result: await offer(seconds) });
} catch (err) {
  process.send({ error: err.message });
}
sockets.forEach((s) => s.destroy());
process.disconnect();
