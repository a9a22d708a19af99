// The `/setup` routes for an engine a host builds (the CLI, the app's engine process, the
// in-process runner): the mirror's own addresses come from where that engine listens, the
// registries from its options, and whether scripts print a login line from its client login.
import { mirrorAddresses } from '../../mirror/lan-addresses.js';
import type { HostRoutes, MirrorEngine, MirrorOptions } from '../../mirror/public-types.js';
import { createSetupRoutes } from '../shared/setup/setup-routes.js';

export function setupRoutesForEngine(options: Pick<MirrorOptions, 'registryName' | 'clientAuth'>, engine: () => MirrorEngine | null): HostRoutes {
  return createSetupRoutes({
    ownAddresses: () => {
      const listen = engine()?.status().listen;
      return listen ? mirrorAddresses(listen).map((address) => address.address) : [];
    },
    registries: () => [options.registryName ?? 'docker.io'],
    loginRequired: () => Boolean(options.clientAuth),
  });
}
