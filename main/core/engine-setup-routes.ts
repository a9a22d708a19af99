// The `/setup` routes for an engine a host builds (the CLI, the app's engine process, the
// in-process runner): the mirror's own addresses come from where that engine listens, and what
// the scripts configure (its enabled registries, whether they print a login line) from that
// engine's status, through the same scriptInputs() the window hashes with.
import { mirrorAddresses } from '../../mirror/lan-addresses.js';
import type { HostRoutes, MirrorEngine, MirrorOptions } from '../../mirror/public-types.js';
import { scriptInputs } from '../shared/setup/script-inputs.js';
import { createSetupRoutes } from '../shared/setup/setup-routes.js';

export function setupRoutesForEngine(options: Pick<MirrorOptions, 'registryName' | 'clientAuth'>, engine: () => MirrorEngine | null): HostRoutes {
  const inputs = () => {
    const status = engine()?.status();
    // Routes answer only while the engine serves, so the fallback is for a request racing a stop.
    return status ? scriptInputs(status, Boolean(options.clientAuth)) : { registries: [options.registryName ?? 'docker.io'], loginRequired: Boolean(options.clientAuth) };
  };
  return createSetupRoutes({
    ownAddresses: () => {
      const listen = engine()?.status().listen;
      return listen ? mirrorAddresses(listen).map((address) => address.address) : [];
    },
    registries: () => inputs().registries,
    loginRequired: () => inputs().loginRequired,
  });
}
