/** HTTP status of a failed reply, by its error code. */
const STATUS_BY_CODE: Record<string, number> = {
  UNAUTHORIZED: 401,
  EXECUTION_NOT_FOUND: 404,
  BLOCK_NOT_FOUND: 404,
  CAPABILITY_NOT_FOUND: 404,
  NOT_FOUND: 404,
  ALREADY_FINISHED: 409,
  EXECUTION_STILL_RUNNING: 409,
  NOT_RESUMABLE: 409,
  NOT_RUNNING: 409,
  NOT_A_COMMAND: 409,
  STDIN_CLOSED: 409,
  STDIN_FULL: 429,
  STDIN_TOO_LARGE: 413,
  COMMANDS_FORBIDDEN: 403,
  PARAMS_TOO_LARGE: 413,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  SHUTTING_DOWN: 503,
  QUEUE_FULL: 503,
  QUEUE_UNAVAILABLE: 503,
  WORKER_UNREACHABLE: 504,
  INTERNAL_ERROR: 500,
};

export function httpStatusOf(reply: { success: boolean; code?: string }, successStatus = 200): number {
  if (reply.success) return successStatus;
  return STATUS_BY_CODE[reply.code ?? ''] ?? 400;
}
