/** A failure of the client itself (not a `success: false` reply): timeouts, lost connections, refused keys. */
export class SidexClientError extends Error {
  constructor(
    readonly code: 'TIMEOUT' | 'CONNECTION_LOST' | 'CONNECTION_FAILED' | 'CONNECTION_REFUSED' | 'UNAUTHORIZED' | 'CLOSED' | 'HTTP_ERROR' | 'BAD_REPLY',
    message: string,
  ) {
    super(message);
    this.name = 'SidexClientError';
  }
}
