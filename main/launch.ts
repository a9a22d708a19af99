// `dockmirror start`: the desktop app where Electron can run. The Electron main process and the
// app core that the headless fallback needs are not written yet (see the issue 4 report), so
// for now this says plainly what to run instead rather than failing with a missing module.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

export function electronAvailable(env: NodeJS.ProcessEnv = process.env, platform = process.platform): boolean {
  const hasBinary = existsSync(join(root, 'node_modules', 'electron', 'path.txt'));
  const hasDisplay = platform !== 'linux' || Boolean(env['DISPLAY'] || env['WAYLAND_DISPLAY']);
  return hasBinary && hasDisplay;
}

export async function launch(_argv: string[]): Promise<number> {
  const reason = electronAvailable()
    ? 'The desktop window is not built yet'
    : 'Electron cannot start here (no Electron binary or no display)';
  process.stderr.write(
    `${reason}; run the mirror headless instead: npm run serve -- --cache DIR --listen 0.0.0.0:5000\n`,
  );
  return 1;
}
