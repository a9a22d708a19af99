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
