// `@sidex/client/corked-send` predates the protocol package; kept for its importers.
export { corkedSender } from '@sidex/protocol/frames';
