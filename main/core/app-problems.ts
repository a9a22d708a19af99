// Every problem the window and the tray list, in the order they matter: what stops the mirror
// from serving as set up first (a failed cache move, a stored setting the rules refuse, a failed
// start), then the engine's own, then a missing keychain. A pure function of what each part knows.
import type { AppProblem, CredentialStatus } from '../shared/contract.js';

export interface ProblemSources {
  engine: readonly AppProblem[];
  cacheSwitch: AppProblem | null;
  refusedSetting: AppProblem | null;
  startFailure: AppProblem | null;
  credentials: CredentialStatus;
}

export function appProblems(sources: ProblemSources): AppProblem[] {
  const first = [sources.cacheSwitch, sources.refusedSetting, sources.startFailure].filter((problem): problem is AppProblem => problem !== null);
  const problems: AppProblem[] = [...first, ...sources.engine];
  const { credentials } = sources;
  if (!credentials.keychainAvailable && credentials.message) {
    problems.push({ code: 'keychain-unavailable', message: credentials.message, since: new Date(0).toISOString() });
  }
  return problems;
}
