// What both ends of a socket do to frames; unlike the shapes, this needs Node
// (Buffer, process.nextTick), hence an entry of its own.
export { corkedSender, type FrameSocket } from './corked-send.js';
export { encodeDapFrame, splitDapFrame } from './dap-frame.js';
export { stdinField, wireBytes, type StdinInput } from './wire-bytes.js';
