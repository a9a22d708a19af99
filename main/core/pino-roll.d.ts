// pino-roll ships no types; this is the part of its API the app logger uses.
declare module 'pino-roll' {
  import type { DestinationStream } from 'pino';
  interface RollOptions {
    file: string;
    size?: string | number;
    frequency?: string | number;
    limit?: { count: number; removeOtherLogFiles?: boolean };
    mkdir?: boolean;
  }
  export default function build(options: RollOptions): Promise<DestinationStream & { end(): void; once(event: 'close', listener: () => void): void; flushSync?(): void }>;
}
