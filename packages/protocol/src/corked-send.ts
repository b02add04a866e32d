import type { Duplex } from 'node:stream';

/** What is used of a `ws` WebSocket: structural, so that this package needs no `ws`. */
export interface FrameSocket {
  send(data: string | Buffer): void;
}

/**
 * Sends on a WebSocket with the frames of one tick written together: the
 * underlying socket is corked at the first send and uncorked on the next
 * tick, so many replies cost one write system call instead of one each.
 */
export function corkedSender(ws: FrameSocket): (data: string | Buffer) => void {
  let corked = false;
  // ws keeps its net.Socket in `_socket`; without it, frames are sent one by one.
  const socket = (ws as unknown as { _socket?: Duplex })._socket;
  const uncork = () => {
    corked = false;
    socket?.uncork();
  };
  return (data) => {
    if (socket && !corked) {
      corked = true;
      socket.cork();
      process.nextTick(uncork);
    }
    ws.send(data);
  };
}
