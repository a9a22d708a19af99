// The app's log: pino into a size-rotated file under the data folder (pino-roll keeps the last few
// files, so a busy mirror cannot fill the disk with logs). Anything shaped like a secret is
// redacted at the logger, so no caller can leak one by logging an object carelessly.
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import roll from 'pino-roll';
import type { LogLevel } from './contract.js';

export const redactedPaths = [
  'password', 'token', 'secret', 'authorization', 'credentials',
  '*.password', '*.token', '*.secret', '*.authorization', '*.credentials',
  'headers.authorization', 'req.headers.authorization', 'request.headers.authorization',
];

export interface AppLog {
  logger: Logger;
  file: string;
  close(): Promise<void>;
}

export async function openAppLog(dataDir: string, level: LogLevel): Promise<AppLog> {
  const base = join(dataDir, 'logs', 'dockmirror');
  const stream = await roll({ file: base, size: '10m', limit: { count: 5 }, mkdir: true });
  const logger = pino({ level, base: undefined, redact: { paths: redactedPaths, censor: '[redacted]' } }, stream);
  return {
    logger,
    file: `${base}.1.log`,
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
