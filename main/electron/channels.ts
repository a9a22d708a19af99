// The IPC channel names main and preload agree on. The preload cannot import this file (a
// sandboxed preload may only require 'electron'), so it carries its own copy of the list and a
// test holds the two equal.
import type { ApiMethodName } from '../core/api-validation.js';

export const channelPrefix = 'dockmirror:';
export const eventChannel = 'dockmirror:push:event';
export const stateChannel = 'dockmirror:push:state';

export function invokeChannel(method: ApiMethodName): string {
  return `${channelPrefix}${method}`;
}

/** What every invoke answers: the result, or the error as a code and a plain sentence. */
export type IpcReply = { ok: true; result: unknown } | { ok: false; error: { code: string; message: string } };
