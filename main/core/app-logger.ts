// The app's log: pino into a size-rotated file under the data folder (pino-roll keeps the last few
// files, so a busy mirror cannot fill the disk with logs). Anything shaped like a secret is
// redacted at the logger, so no caller can leak one by logging an object carelessly.
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import roll from 'pino-roll';
import type { LogLevel } from '../shared/contract.js';

export const redactedPaths = [
  'password', 'token', 'secret', 'authorization', 'credentials',
  '*.password', '*.token', '*.secret', '*.authorization', '*.credentials',
  'headers.authorization', 'req.headers.authorization', 'request.headers.authorization',
];

export interface AppLog {
  logger: Logger;
  close(): Promise<void>;
}

export interface LogRotation {
  /** A log file is closed and a new one begun once it holds this many bytes. */
  fileBytes: number;
  /** Log files kept in all, the one being written included. */
  files: number;
}

export const defaultLogRotation: LogRotation = { fileBytes: 10 * 1024 * 1024, files: 5 };

export async function openAppLog(dataDir: string, level: LogLevel, rotation: LogRotation = defaultLogRotation): Promise<AppLog> {
  const base = join(dataDir, 'logs', 'dockmirror');
  // pino-roll's count is of rotated files beside the active one, and by default it removes only
  // the files this process wrote, so every restart would leave its old logs behind for good.
  const stream = await roll({
    file: base,
    size: `${rotation.fileBytes}b`,
    limit: { count: Math.max(1, rotation.files - 1), removeOtherLogFiles: true },
    mkdir: true,
  });
  const logger = pino({ level, base: undefined, redact: { paths: redactedPaths, censor: '[redacted]' } }, stream);
  return {
    logger,
    close: () =>
      new Promise<void>((resolve) => {
        stream.once('close', () => resolve());
        stream.end();
      }),
  };
}

/** For hosts that log elsewhere (the CLI's stdout): the same redaction, their destination. */
export function redactingLogger(level: LogLevel | 'silent', destination?: pino.DestinationStream): Logger {
  return pino({ level, base: undefined, redact: { paths: redactedPaths, censor: '[redacted]' } }, destination);
}
