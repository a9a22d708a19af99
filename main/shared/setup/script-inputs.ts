// The one place that decides what a setup script is built for, used by the window (its sha256)
// and by the engine's /setup routes (the script itself), so the hash a person checks is the hash
// of what the mirror serves. Both read the engine in force: its enabled registries, and whether
// it asks clients to log in — which is what it was started with (a saved client password), not
// the login switch alone. A stopped mirror has no engine in force: then the settings say what
// starting it will serve.
import type { MirrorStatus } from '../../../mirror/public-types.js';

export interface ScriptInputs {
  /** The registries the scripts configure, as clients name them, in the mirror's order. */
  registries: string[];
  loginRequired: boolean;
}

export function scriptInputs(mirror: Pick<MirrorStatus, 'serving' | 'registries' | 'clientLogin'>, loginSwitch: boolean): ScriptInputs {
  const registries = mirror.registries.filter((registry) => registry.enabled).map((registry) => registry.name);
  const loginRequired = mirror.serving && mirror.clientLogin !== undefined ? mirror.clientLogin : loginSwitch;
  return { registries, loginRequired };
}
