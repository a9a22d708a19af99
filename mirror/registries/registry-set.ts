// Every registry the engine knows, by the name clients use, and the one question the HTTP front
// asks per request: which registry answers this name? An unlisted or turned-off name is a 404
// that says where to turn it on; nothing is ever fetched for it.
import { RegistryError } from '../errors.js';
import type { CredentialsProvider, RegistryStatus } from '../public-types.js';
import type { RegistryConfig } from './registry-list.js';
import { type SharedParts, UpstreamRegistry } from './upstream-registry.js';

export class RegistrySet {
  private readonly enabled = new Map<string, UpstreamRegistry>();
  private readonly byName = new Map<string, UpstreamRegistry>();
  private readonly all: UpstreamRegistry[];
  private readonly disabled: ReadonlySet<string>;

  constructor(configs: RegistryConfig[], shared: SharedParts, credentialsFor: (name: string) => CredentialsProvider | undefined) {
    // Turned-off registries are built too (no I/O), so their cached images stay listed and deletable.
    this.all = configs.map((config) => new UpstreamRegistry(config, shared, credentialsFor(config.name)));
    for (const registry of this.all) {
      this.byName.set(registry.name, registry);
      if (registry.config.enabled) this.enabled.set(registry.name, registry);
    }
    this.disabled = new Set(configs.filter((c) => !c.enabled).map((c) => c.name));
  }

  /** The registry serving `name`; NAME_UNKNOWN with a sentence for any other name. */
  endpoint(name: string): UpstreamRegistry {
    const registry = this.enabled.get(name);
    if (registry) return registry;
    const shown = name.slice(0, 100);
    if (this.disabled.has(name)) {
      throw new RegistryError('NAME_UNKNOWN', `the registry ${shown} is turned off on this mirror; turn it on in Settings → Registries (or start it with --registry ${shown}=<upstream URL>)`);
    }
    throw new RegistryError('NAME_UNKNOWN', `this mirror does not serve the registry ${shown}; add it in Settings → Registries (or start it with --registry ${shown}=https://${shown})`);
  }

  get(name: string): UpstreamRegistry | undefined {
    return this.byName.get(name);
  }

  list(): readonly UpstreamRegistry[] {
    return this.all;
  }

  status(): RegistryStatus[] {
    return this.all.map((registry) => registry.status());
  }

  /** A blob left the store: no registry may answer from its remembered manifest any more. */
  forget(digest?: string): void {
    for (const registry of this.all) registry.manifests.forget(digest);
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((registry) => registry.close()));
  }
}
