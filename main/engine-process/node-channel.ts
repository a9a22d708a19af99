// The headless host's adapter: the engine as a `child_process.fork` of the entry file.
import { fork } from 'node:child_process';
import type { ChannelOpener } from './channel.js';

export const nodeChannelOpener: ChannelOpener = (entry, execArgv) => {
  // stdout and stderr are the app's, so a crash's last words reach the terminal or journal.
  const child = fork(entry, [], { execArgv: [...execArgv], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return {
    get pid() {
      return child.pid;
    },
    postMessage(message) {
      // A message to a process that just died is lost like its other work; the exit says why.
      if (child.connected) child.send(message, (error) => void error);
    },
    onMessage(listener) {
      child.on('message', listener);
    },
    onExit(listener) {
      child.once('exit', (code, signal) => listener({ code, signal }));
      // A failed spawn emits 'error' (and sometimes no 'exit'); both count as the process ending.
      child.once('error', () => {
        if (child.exitCode === null && child.signalCode === null && child.pid === undefined) listener({ code: null, signal: null });
      });
    },
    kill() {
      child.kill('SIGKILL');
    },
  };
};
