// The core's one error type: a stable code for programs and a plain sentence for people. It
// crosses IPC and HTTP as `{ code, message }`.
export class CoreError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'CoreError';
  }
}

/** Any failure as a CoreError: engine errors already carry a sentence; their stack stays behind. */
export function toCoreError(error: unknown): CoreError {
  if (error instanceof CoreError) return error;
  const code = (error as { code?: unknown })?.code;
  const message = error instanceof Error && error.message ? error.message : 'Something went wrong; the log has the details.';
  return new CoreError(typeof code === 'string' ? code : 'failed', message);
}
