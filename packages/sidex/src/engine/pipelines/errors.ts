// The errors of the pipeline dialect: each says what went wrong and with which
// task or item, and carries a stable code.
import { SidexError } from '../../errors.js';
import { STATE_TEXT, type TaskState, type TaskStatus } from './task-state.js';

export const taskNotFound = (token: string) => new SidexError('TASK_NOT_FOUND', `no task with token "${token}"`, { token });

/** The message RocketRide clients know: from terminate on, nothing new is accepted. */
export const terminating = (token: string) =>
  new SidexError('TASK_TERMINATING', `task is terminating: task "${token}" accepts no new items`, { token });

export const notRunning = (token: string, state: TaskState) =>
  new SidexError('TASK_NOT_RUNNING', `task "${token}" is not running (state ${state}, ${STATE_TEXT[state]}): it accepts no items`, { token, state });

export const pipeNotFound = (token: string, pipeId: number) =>
  new SidexError('PIPE_NOT_FOUND', `pipe_id: task "${token}" has no open pipe ${pipeId}`, { token, pipe_id: pipeId, field: 'pipe_id' });

export const itemCancelled = (token: string, pipeId: number, why: string) =>
  new SidexError('ITEM_CANCELLED', `item ${pipeId} of task "${token}" was cancelled: ${why}`, { token, pipe_id: pipeId });

export const itemFailed = (token: string, pipeId: number, message: string, component?: string) =>
  new SidexError('ITEM_FAILED', `item ${pipeId} of task "${token}" failed: ${message}`, {
    token,
    pipe_id: pipeId,
    ...(component ? { component } : {}),
  });

/** A terminate after the end: the pipeline is no longer running, whatever ended it. */
export const alreadyTerminated = (token: string, status: TaskStatus) =>
  new SidexError('TASK_TERMINATED', `token: the pipeline of task "${token}" is not running: it has already ended (${status.status}${status.exitMessage ? `: ${status.exitMessage}` : ''})`, {
    token,
    field: 'token',
    state: status.state,
  });
