// Runs the tray app under Electron and tells a start that failed (Electron gone within a few
// seconds with an error: the sandbox refused by AppArmor on Ubuntu 24.04+, a missing library)
// from an app that ran and quit. A quick exit with code 0 is a real quit — a second launch
// that handed over to the first instance ends that way.
import { spawn } from 'node:child_process';

export type ElectronRun =
  | { kind: 'ran'; code: number }
  | { kind: 'failed-to-start'; detail: string };

export interface ElectronRunOptions {
  /** How long Electron must stay up to count as started. */
  earlyExitMs: number;
  env: NodeJS.ProcessEnv;
  /** Where Electron's own output goes (the terminal). */
  stderr: NodeJS.WritableStream;
}

function failureDetail(code: number | null, signal: NodeJS.Signals | null, output: string): string {
  const how = signal ? `killed by ${signal}` : `exit code ${code}`;
  if (/sandbox/i.test(output)) {
    return `${how}; its sandbox was refused, as AppArmor does on Ubuntu 24.04 and later for apps without a profile`;
  }
  const last = output.split('\n').map((line) => line.trim()).filter(Boolean).at(-1);
  return last ? `${how}: ${last.slice(0, 200)}` : how;
}

export function runElectron(binary: string, appDir: string, args: string[], options: ElectronRunOptions): Promise<ElectronRun> {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(binary, [appDir, ...args], { env: options.env, stdio: ['ignore', 'inherit', 'pipe'] });
    let output = '';
    child.stderr.on('data', (chunk: Buffer) => {
      options.stderr.write(chunk);
      output = (output + chunk.toString('utf8')).slice(-8192);
    });
    // Ctrl-C in the terminal reaches Electron too; these keep the launcher alive until it has quit.
    const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
    const onInt = forward('SIGINT');
    const onTerm = forward('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    const done = (result: ElectronRun) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(result);
    };
    child.on('error', (error) => done({ kind: 'failed-to-start', detail: error.message }));
    child.on('exit', (code, signal) => {
      const early = Date.now() - started < options.earlyExitMs;
      if (early && (code !== 0 || signal)) return done({ kind: 'failed-to-start', detail: failureDetail(code, signal, output) });
      done({ kind: 'ran', code: code ?? 1 });
    });
  });
}
