// The server's live events (GET /v1/events, server-sent events), shared by the
// views: one EventSource per page, re-opened by the browser after a drop.
export interface LiveEvent {
  event: 'status' | 'output' | 'checkpoint' | 'progress';
  sideExecutionId: string;
  status?: string;
  stream?: 'stdout' | 'stderr';
  data?: string;
  value?: unknown;
  time: number;
}

/** Calls `onEvent` for each live event, `onResync` when the server dropped some for us; returns the unsubscribe. */
export function subscribe(onEvent: (e: LiveEvent) => void, onResync: () => void, outputOf?: string): () => void {
  const source = new EventSource(`/v1/events${outputOf ? `?output=${encodeURIComponent(outputOf)}` : ''}`);
  const handler = (message: MessageEvent<string>) => onEvent(JSON.parse(message.data) as LiveEvent);
  for (const name of ['status', 'output', 'checkpoint', 'progress']) source.addEventListener(name, handler as EventListener);
  source.addEventListener('resync', onResync);
  // A reconnect may have missed events: the view reloads what it shows.
  source.addEventListener('open', onResync);
  return () => source.close();
}
