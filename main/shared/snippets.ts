// Configuration snippets that point a host's container runtime at the mirror. Pure functions:
// the CLI prints them, the window shows them (the browser loads this very file, so no Node
// imports here); nothing touches the disk or the network.
import { defineKey, lineColumn, parseStrictJson, type StrictJsonError } from './strict-json.js';

export { parseStrictJson } from './strict-json.js';

/** The `/etc/docker/daemon.json` body that makes dockerd pull docker.io images through the mirror. */
export function daemonJsonSnippet(mirrorUrls: string[]): string {
  return JSON.stringify({ 'registry-mirrors': mirrorUrls }, null, 2);
}

export type SnippetId = 'docker' | 'containerd' | 'podman' | 'k3s' | 'buildkit';

export interface HostSnippet {
  id: SnippetId;
  title: string;
  /** Where the text belongs on the LAN host. */
  filePath: string;
  text: string;
  /** The command that makes the runtime read the file. */
  restartCommand: string;
  /** One plain sentence on anything the user must know (merging, extra setup). */
  note: string;
  /** When the snippet is one file per registry (containerd): each file's path and text. */
  files?: { path: string; text: string }[];
}

/** `http://host:port` with IPv6 hosts in brackets — the form every runtime expects. */
export function mirrorUrlFor(host: string, port: number, scheme: 'http' | 'https' = 'http'): string {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return `${scheme}://${bare.includes(':') ? `[${bare}]` : bare}:${port}`;
}

/**
 * Splits a mirror URL into what runtimes without a scheme field want (`host:port`, IPv6 in
 * brackets) and whether it is plain HTTP. Rejects what moby's ValidateMirror rejects: a missing
 * scheme, a path, a query or credentials, so a snippet never carries a URL dockerd refuses.
 */
export function parseMirrorUrl(url: string): { hostPort: string; insecure: boolean; normalized: string } {
  const match = /^(https?):\/\/([^/?#@\s]+)\/?$/i.exec(url.trim());
  if (!match) {
    throw new Error(`"${url}" is not a mirror address: it must look like http://192.168.1.20:5000, with no path.`);
  }
  const scheme = match[1]!.toLowerCase();
  const hostPort = match[2]!.toLowerCase();
  return { hostPort, insecure: scheme === 'http', normalized: `${scheme}://${hostPort}` };
}

function tomlString(value: string): string {
  return JSON.stringify(value); // TOML basic strings share JSON's escapes for anything a URL holds.
}

/** Where containerd goes when no mirror answers: the registry's own endpoint. */
function registryServer(registry: string): string {
  return registry === 'docker.io' ? 'https://registry-1.docker.io' : `https://${registry}`;
}

function containerdHostsToml(urls: string[], registry: string): string {
  const lines = [`server = ${tomlString(registryServer(registry))}`];
  for (const url of urls) {
    const { normalized } = parseMirrorUrl(url);
    lines.push('', `[host.${tomlString(normalized)}]`, '  capabilities = ["pull", "resolve"]');
  }
  return lines.join('\n') + '\n';
}

function podmanRegistriesConf(urls: string[], registries: string[]): string {
  const lines: string[] = [];
  for (const registry of registries) {
    if (lines.length) lines.push('');
    lines.push('[[registry]]', `prefix = ${tomlString(registry)}`, `location = ${tomlString(registry)}`);
    for (const url of urls) {
      const { hostPort, insecure } = parseMirrorUrl(url);
      // The registry's name as a path prefix: podman cannot send containerd's ns parameter.
      lines.push('', '[[registry.mirror]]', `location = ${tomlString(registries.length === 1 && registry === 'docker.io' ? hostPort : `${hostPort}/${registry}`)}`);
      if (insecure) lines.push('insecure = true');
    }
  }
  return lines.join('\n') + '\n';
}

function k3sRegistriesYaml(urls: string[], registries: string[]): string {
  const lines = ['mirrors:'];
  for (const registry of registries) {
    // A host name is a plain YAML key; anything else is quoted.
    lines.push(`  ${/^[a-z0-9.-]+(?::\d+)?$/.test(registry) ? registry : JSON.stringify(registry)}:`, '    endpoint:');
    for (const url of urls) lines.push(`      - ${JSON.stringify(parseMirrorUrl(url).normalized)}`);
  }
  return lines.join('\n') + '\n';
}

function buildkitdToml(urls: string[], registries: string[]): string {
  const parsed = urls.map((url) => parseMirrorUrl(url));
  const lines: string[] = [];
  for (const registry of registries) {
    if (lines.length) lines.push('');
    lines.push(`[registry.${tomlString(registry)}]`, `  mirrors = [${parsed.map((p) => tomlString(p.hostPort)).join(', ')}]`);
  }
  for (const p of parsed) {
    // BuildKit takes bare host:port mirrors and needs to be told per host that it speaks HTTP.
    if (p.insecure) lines.push('', `[registry.${tomlString(p.hostPort)}]`, '  http = true');
  }
  return lines.join('\n') + '\n';
}

/**
 * dockerd mirrors docker.io only (registry-mirrors); other registries are pulled by prefix
 * (`docker pull host:port/ghcr.io/owner/app`), and a plain-HTTP mirror address then needs an
 * insecure-registries entry, which the mirror exemption does not cover.
 */
function dockerDaemonJson(urls: string[], registries: string[]): string {
  const config: Record<string, string[]> = {};
  if (registries.includes('docker.io')) config['registry-mirrors'] = urls;
  const others = registries.filter((registry) => registry !== 'docker.io');
  const insecure = urls.map((url) => parseMirrorUrl(url)).filter((p) => p.insecure).map((p) => p.hostPort);
  if (others.length > 0 && insecure.length > 0) config['insecure-registries'] = insecure;
  return JSON.stringify(config, null, 2);
}

function dockerNote(urls: string[], registries: string[]): string {
  const merge = 'If the file already exists, paste it below to merge the mirror in without losing your other settings.';
  const other = registries.find((registry) => registry !== 'docker.io');
  if (!other || urls.length === 0) return merge;
  return `${merge} Docker mirrors only docker.io: pull other registries by prefix, e.g. docker pull ${parseMirrorUrl(urls[0]!).hostPort}/${other}/owner/image.`;
}

/**
 * Every runtime's snippet for the given mirror URLs (usually one per LAN address) and the
 * registries the mirror serves (enabled ones, by the name clients use; docker.io by default).
 */
export function hostSnippets(mirrorUrls: string[], registries: string[] = ['docker.io']): HostSnippet[] {
  const urls = mirrorUrls.map((url) => parseMirrorUrl(url).normalized);
  const containerdFiles = registries.map((registry) => ({ path: `/etc/containerd/certs.d/${registry}/hosts.toml`, text: containerdHostsToml(urls, registry) }));
  return [
    {
      id: 'docker',
      title: 'Docker Engine',
      filePath: '/etc/docker/daemon.json',
      text: dockerDaemonJson(urls, registries) + '\n',
      restartCommand: 'sudo systemctl restart docker',
      note: dockerNote(urls, registries),
    },
    {
      id: 'containerd',
      title: 'containerd (nerdctl, Kubernetes)',
      filePath: containerdFiles.length === 1 ? containerdFiles[0]!.path : '/etc/containerd/certs.d/<registry>/hosts.toml',
      text: containerdFiles.length === 1 ? containerdFiles[0]!.text : containerdFiles.map((file) => `# ${file.path}\n${file.text}`).join('\n'),
      files: containerdFiles,
      restartCommand: 'sudo systemctl restart containerd',
      note: 'containerd reads this folder only when config_path = "/etc/containerd/certs.d" is set under its CRI registry section.',
    },
    {
      id: 'podman',
      title: 'Podman / CRI-O',
      filePath: '/etc/containers/registries.conf.d/dockmirror.conf',
      text: podmanRegistriesConf(urls, registries),
      restartCommand: 'sudo systemctl restart crio   # Podman reads the file on its next command',
      note: `Remove any other [[registry]] entry for ${registries.join(', ')} first; only one per registry may exist.`,
    },
    {
      id: 'k3s',
      title: 'k3s / RKE2',
      filePath: '/etc/rancher/k3s/registries.yaml',
      text: k3sRegistriesYaml(urls, registries),
      restartCommand: 'sudo systemctl restart k3s',
      note: 'On RKE2 the file is /etc/rancher/rke2/registries.yaml and the service is rke2-server or rke2-agent.',
    },
    {
      id: 'buildkit',
      title: 'BuildKit (docker buildx)',
      filePath: '/etc/buildkit/buildkitd.toml',
      text: buildkitdToml(urls, registries),
      restartCommand: 'docker buildx create --use --bootstrap --config /etc/buildkit/buildkitd.toml',
      note: 'A buildx builder reads the file only when it is created; remove the old builder first.',
    },
  ];
}

export type MergeError = StrictJsonError;

export type DaemonJsonMerge =
  | { ok: true; text: string; added: string[]; alreadyPresent: string[]; changed: boolean }
  | { ok: false; error: MergeError };

function sameMirror(a: string, b: string): boolean {
  try {
    return parseMirrorUrl(a).normalized === parseMirrorUrl(b).normalized;
  } catch {
    return a.trim() === b.trim();
  }
}

/**
 * Merges the mirror URLs into an existing daemon.json: every other key is kept in its order,
 * a mirror already listed is not added again, and ours go first so dockerd asks the LAN mirror
 * before any other. Anything that is not strict JSON (dockerd accepts no comments or trailing
 * commas) is reported with its line and column — never silently replaced.
 */
export function mergeDaemonJson(existing: string, mirrorUrls: string[]): DaemonJsonMerge {
  const urls = mirrorUrls.map((url) => parseMirrorUrl(url).normalized);
  const source = existing.replace(/^\uFEFF/, '');
  let root: unknown = {};
  if (source.trim() !== '') {
    const parsed = parseStrictJson(source);
    if (!parsed.ok) return { ok: false, error: parsed.error };
    root = parsed.value;
  }
  if (typeof root !== 'object' || root === null || Array.isArray(root)) {
    return { ok: false, error: { message: 'daemon.json must hold one JSON object ({ … }).', line: 1, column: 1 } };
  }
  const config = root as Record<string, unknown>;
  const current = config['registry-mirrors'];
  if (current !== undefined && (!Array.isArray(current) || current.some((v) => typeof v !== 'string'))) {
    return {
      ok: false,
      error: { message: '"registry-mirrors" must be a list of addresses like ["http://192.168.1.20:5000"].', ...locate(source, '"registry-mirrors"') },
    };
  }
  const listed = (current ?? []) as string[];
  const alreadyPresent = urls.filter((url) => listed.some((m) => sameMirror(m, url)));
  const added = urls.filter((url) => !alreadyPresent.includes(url));
  const others = listed.filter((m) => !urls.some((url) => sameMirror(m, url)));
  const mirrors = [...urls, ...others];
  const changed = added.length > 0 || JSON.stringify(mirrors) !== JSON.stringify(listed);
  const merged: Record<string, unknown> = {};
  let placed = false;
  for (const key of Object.keys(config)) {
    if (key === 'registry-mirrors') {
      placed = true;
      defineKey(merged, key, mirrors);
    } else {
      defineKey(merged, key, config[key]);
    }
  }
  if (!placed) defineKey(merged, 'registry-mirrors', mirrors);
  return { ok: true, text: JSON.stringify(merged, null, 2) + '\n', added, alreadyPresent, changed };
}

function locate(source: string, needle: string): { line: number; column: number } {
  return lineColumn(source, Math.max(0, source.indexOf(needle)));
}
