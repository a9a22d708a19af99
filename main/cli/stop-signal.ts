// The command-line hosts (`dockmirror serve`, the headless app) run until the terminal or the
// service manager asks them to stop; both say so the same way before they finish pulls in flight.

export function untilStopSignal(out: NodeJS.WritableStream = process.stdout): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      out.write(`Received ${signal}; finishing pulls in flight and stopping.\n`);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
