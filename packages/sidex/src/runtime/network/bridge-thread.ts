// Worker entry of startProxyBridgeThread (sandbox-bridge.ts): the bridge on a
// thread that user code blocking the main thread cannot stall.
import { parentPort, workerData } from 'node:worker_threads';
import { startProxyBridge } from './sandbox-bridge.js';

const { socketPath, port } = workerData as { socketPath: string; port: number };
try {
  // Referenced: this listener is all that keeps the worker alive.
  const bridge = await startProxyBridge(socketPath, { port, unref: false });
  parentPort?.postMessage({ port: bridge.port });
} catch (err) {
  parentPort?.postMessage({ error: err instanceof Error ? err.message : String(err) });
}
