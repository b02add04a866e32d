import type { Logger } from 'pino';
import WebSocket, { type RawData } from 'ws';
import { corkedSender } from '@sidex/protocol/frames';
import { SidexError } from '../../errors.js';
import type { CodeboltBlocks } from '../../services/codebolt/codebolt-blocks.js';
import { fail, ok } from '../replies/envelope.js';
import { FlowControl, type ConnectionLimits } from '../ws/flow-control.js';
import { frameText } from '../ws/frame-text.js';
import { ActionBlockComplete, blockReplyType, headOf, refusalOf } from './block-frames.js';
import { frameValueRefusal, readFrameJson } from './frames.js';

const COMPLETE_REPLY = 'actionBlockCompleteResponse';
/** How long the invocation waits for the block's pong before it is sent regardless. */
const INVOKE_FALLBACK_MS = 2000;

/**
 * The WebSocket of one Codebolt-built block, authenticated by its execution's
 * token: it is sent its `actionBlockInvocation` as soon as it listens, and its
 * `actionBlockComplete` settles the execution (whose processes are then
 * ended). Every other request gets an error reply naming the API it asked
 * for, echoing its requestId. Closed by the server when the execution ends.
 */
export class BlockConnection {
  private readonly flow: FlowControl;
  private readonly send: (text: string) => void;
  private completed = false;
  private invoked = false;
  private invokeAnyway: NodeJS.Timeout | undefined;

  constructor(
    private readonly ws: WebSocket,
    private readonly executionId: string,
    private readonly blocks: CodeboltBlocks,
    private readonly log: Logger,
    limits: ConnectionLimits,
  ) {
    this.send = corkedSender(ws);
    // Replies only: no events are sent here, so none are ever dropped.
    this.flow = new FlowControl(ws, limits, () => {});
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('close', () => {
      this.flow.stop();
      clearTimeout(this.invokeAnyway);
    });
    ws.on('error', (err) => this.log.debug({ err, executionId }, 'codebolt block connection error'));
    // The SDK registers its invocation handler a few promise turns after its
    // socket opens: an invocation read together with the upgrade's answer
    // would reach no handler. Its pong (or any frame) proves it has read past
    // that point; a socket that answers neither gets the invocation anyway.
    ws.once('pong', () => this.invoke());
    this.invokeAnyway = setTimeout(() => this.invoke(), INVOKE_FALLBACK_MS);
    ws.ping();
  }

  /** Sends the block its actionBlockInvocation, once. */
  private invoke(): void {
    if (this.invoked || this.ws.readyState !== WebSocket.OPEN) return;
    this.invoked = true;
    clearTimeout(this.invokeAnyway);
    try {
      this.send(JSON.stringify(this.blocks.invocationFor(this.executionId)));
    } catch {
      this.ws.close(1000, 'execution ended'); // it ended while the socket opened
    }
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    this.invoke();
    const text = frameText(data, isBinary);
    const read = readFrameJson(text);
    if (!read.ok) {
      this.reply(fail('errorResponse', read.error), undefined);
      return;
    }
    const value = read.value;
    const head = headOf(value);
    const refused = frameValueRefusal(read.text, { prototypeKeys: false });
    if (refused) {
      this.reply(fail(blockReplyType(head), refused), head.requestId);
      return;
    }
    this.flow.begin();
    try {
      this.reply(head.type === 'actionBlockComplete' ? this.complete(value) : fail(blockReplyType(head), refusalOf(head)), head.requestId);
    } finally {
      this.flow.end();
    }
  }

  /** The block's end: its result or error settles the execution, once. */
  private complete(value: unknown): object {
    const fields = { sideExecutionId: this.executionId };
    const parsed = ActionBlockComplete.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = issue.path.map(String).join('.') || '(frame)';
      return fail(COMPLETE_REPLY, new SidexError('INVALID_FRAME', `${field}: ${issue.message}`, { field }), fields);
    }
    const frame = parsed.data as { sideExecutionId?: string; result?: unknown; error?: unknown };
    if (frame.sideExecutionId !== undefined && frame.sideExecutionId !== this.executionId) {
      return fail(
        COMPLETE_REPLY,
        new SidexError('NOT_IN_SCOPE', `sideExecutionId: "${frame.sideExecutionId}" is not the execution this connection's token belongs to ("${this.executionId}")`, {
          field: 'sideExecutionId',
        }),
        fields,
      );
    }
    if (this.completed) {
      return fail(COMPLETE_REPLY, new SidexError('ALREADY_COMPLETED', `execution "${this.executionId}" has already reported its end`), fields);
    }
    try {
      this.blocks.complete(this.executionId, frame.error !== undefined && frame.error !== null ? { error: frame.error } : { result: frame.result });
    } catch (err) {
      return fail(COMPLETE_REPLY, err, fields);
    }
    this.completed = true;
    return ok(COMPLETE_REPLY, fields);
  }

  private reply(reply: object, requestId: string | number | undefined): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.send(JSON.stringify(requestId === undefined ? reply : { ...reply, requestId }));
  }
}
