// The desktop app's adapter: the engine as an Electron utility process. Electron passes the
// engine's flags to the utility process's V8 through execArgv, which the main process cannot
// get for itself. Only Electron runs this file; the protocol behind it is the one every
// headless test exercises through node-channel.ts.
import type { utilityProcess } from 'electron';
import type { ChannelOpener } from './channel.js';

type ForkUtilityProcess = (typeof utilityProcess)['fork'];

export function utilityProcessOpener(forkUtility: ForkUtilityProcess): ChannelOpener {
  return (entry, execArgv) => {
    const child = forkUtility(entry, [], { execArgv: [...execArgv], serviceName: 'Dockmirror engine', stdio: 'inherit' });
    return {
      get pid() {
        return child.pid;
      },
      postMessage: (message) => child.postMessage(message),
      onMessage: (listener) => void child.on('message', listener),
      // Electron reports the exit code only; a signal shows as a non-zero code.
      onExit: (listener) => void child.once('exit', (code) => listener({ code, signal: null })),
      kill: () => void child.kill(),
    };
  };
}
