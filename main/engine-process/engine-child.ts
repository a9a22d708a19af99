// The engine process's entry file: `child_process.fork` (headless) and `utilityProcess.fork`
// (Electron) both start this, with the engine's V8 flags (mirror/process-flags.ts) as execArgv.
import { ChildEngine } from './child-engine.js';
import { parentLink } from './parent-link.js';

new ChildEngine(parentLink()).run();
