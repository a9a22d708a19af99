// The mirror's health: the problems it has now (shown in the window, the tray and /healthz), and
// the /healthz check that proves the cache folder takes writes again.
import { rm, writeFile } from 'node:fs/promises';
import type { HealthProblem, HealthProblemCode } from './public-types.js';
import type { BlobStore } from './store/blob-store.js';
import type { CacheGuard } from './store/cache-guard.js';

export class HealthProblems {
  /** Keyed by code, and by registry for the problems one upstream registry has. */
  private readonly problems = new Map<string, HealthProblem>();

  constructor(private readonly now: () => number) {}

  /** Records a problem; one already raised keeps the time it began. */
  raise(code: HealthProblemCode, message: string, registry?: string): void {
    const key = problemKey(code, registry);
    const existing = this.problems.get(key);
    if (existing?.message === message) return;
    const problem: HealthProblem = { code, message, since: existing?.since ?? new Date(this.now()).toISOString() };
    if (registry) problem.registry = registry;
    this.problems.set(key, problem);
  }

  clear(code: HealthProblemCode, registry?: string): void {
    this.problems.delete(problemKey(code, registry));
  }

  /** Whether the problem is raised, for any registry when none is named. */
  has(code: HealthProblemCode, registry?: string): boolean {
    if (registry !== undefined || this.problems.has(code)) return this.problems.has(problemKey(code, registry));
    for (const problem of this.problems.values()) if (problem.code === code) return true;
    return false;
  }

  /** The problems of one registry. */
  of(registry: string): HealthProblem[] {
    return [...this.problems.values()].filter((problem) => problem.registry === registry);
  }

  list(): HealthProblem[] {
    return [...this.problems.values()];
  }
}

function problemKey(code: HealthProblemCode, registry: string | undefined): string {
  return registry ? `${code} ${registry}` : code;
}

/** /healthz: probes the cache folder and reports the store healthy unless it takes no writes. */
export async function checkHealth(store: BlobStore, guard: CacheGuard, problems: HealthProblems): Promise<{ ok: boolean; body: unknown }> {
  const probe = store.paths.tempFile('probe');
  try {
    await writeFile(probe, 'ok');
    await rm(probe, { force: true });
    // A two-byte probe fits on a disk a blob just filled, so it only proves a folder that
    // refused writes outright (EROFS, EACCES) is writable again; a full disk heals when a
    // download is stored again.
    if (!problems.has('disk-full')) guard.writeSucceeded();
  } catch (error) {
    guard.writeFailed((error as NodeJS.ErrnoException).code ?? 'EIO');
  }
  await guard.canCache();
  const storeOk = !problems.has('cache-not-writable') && !problems.has('disk-full');
  const listed = problems.list();
  // 200 while the store serves (cached images go out with the upstream down); "degraded" names any problem.
  return { ok: storeOk, body: { status: storeOk && listed.length === 0 ? 'ok' : 'degraded', problems: listed } };
}
