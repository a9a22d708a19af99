// The four setup scripts, one per runtime, for one mirror address and every registry it serves.
// The files they write come from the window's snippet code (hostSnippets), so a pasted snippet
// and a script-written file are the same text. Pure functions, no Node imports.
import { hostSnippets, parseMirrorUrl } from '../snippets.js';
import { setupScript, shQuote } from './script-prelude.js';

export type SetupRuntime = 'docker' | 'containerd' | 'podman' | 'k3s';
export const setupRuntimes: readonly SetupRuntime[] = ['docker', 'containerd', 'podman', 'k3s'];

export interface SetupTarget {
  /** The mirror as this host reaches it, e.g. `http://10.0.0.5:5000`. */
  mirrorUrl: string;
  /** The registries the mirror serves, as clients name them; today `['docker.io']`. */
  registries: readonly string[];
  /** Mirror login is on: the script prints the login line (never a password). */
  loginRequired: boolean;
}

/** Marks files Dockmirror owns whole, so a later run may replace them (TOML and YAML comments). */
const ownedMarker = '# Written by Dockmirror; running its setup script again replaces this file.';

function snippetText(id: 'containerd' | 'podman' | 'k3s', mirrorUrl: string): string {
  const snippet = hostSnippets([mirrorUrl]).find((s) => s.id === id);
  if (!snippet) throw new Error(`No ${id} snippet.`);
  return snippet.text;
}

/** A here-document whose delimiter cannot occur in the text, so nothing in it is expanded. */
function heredoc(command: string, text: string): string {
  let delimiter = 'DOCKMIRROR_EOF';
  while (text.includes(delimiter)) delimiter += '_';
  return `${command} <<'${delimiter}'\n${text.endsWith('\n') ? text : `${text}\n`}${delimiter}`;
}

/** Registry text for a registry other than docker.io: the docker.io snippet with its name swapped. */
function forRegistry(text: string, registry: string): string {
  if (registry === 'docker.io') return text;
  return text.replace('https://registry-1.docker.io', `https://${registry}`).replaceAll('docker.io', registry);
}

function dockerBody(target: SetupTarget): string {
  const fresh = hostSnippets([target.mirrorUrl]).find((s) => s.id === 'docker')!.text;
  return `# dockerd reads one daemon.json; the mirror merges into it (keeping every other key), since
# this host may have no JSON tool of its own.
FILE="$ROOT/etc/docker/daemon.json"
mkdir -p "$(dirname "$FILE")"
if [ -f "$FILE" ]; then
  TMP_FILE="$FILE.dockmirror-tmp.$$"
  MERGE=$(curl -sS -o "$TMP_FILE" -w '%{http_code}' --max-time 20 -H 'content-type: application/json' \\
    --data-binary "@$FILE" "$MIRROR/setup/docker/merge") || MERGE=000
  case "$MERGE" in
    200) replace_file "$FILE" ;;
    204) rm -f "$TMP_FILE"; TMP_FILE=''; echo "Unchanged: $FILE already names $MIRROR." ;;
    422) echo "$FILE was left as it is:" >&2; cat "$TMP_FILE" >&2; exit 1 ;;
    *) echo "The mirror could not merge $FILE (HTTP $MERGE); the file was left as it is." >&2; exit 1 ;;
  esac
else
  TMP_FILE="$FILE.dockmirror-tmp.$$"
  ${heredoc('cat >"$TMP_FILE"', fresh)}
  replace_file "$FILE"
fi`;
}

function containerdBody(target: SetupTarget): string {
  const files = target.registries.map((registry) =>
    heredoc(`install_owned_file "$ROOT/etc/containerd/certs.d/${registry}/hosts.toml"`, `${ownedMarker}\n${forRegistry(snippetText('containerd', target.mirrorUrl), registry)}`),
  );
  return `${files.join('\n')}
CONFIG="$ROOT/etc/containerd/config.toml"
if ! grep -qs '^[[:space:]]*config_path[[:space:]]*=[[:space:]]*"/etc/containerd/certs.d"' "$CONFIG"; then
  echo "containerd reads these files only when $CONFIG sets config_path, and it does not. Add this line"
  echo "under [plugins.\\"io.containerd.grpc.v1.cri\\".registry] (containerd 1.x), then restart containerd:"
  echo '  config_path = "/etc/containerd/certs.d"'
fi
echo "ctr reads them with: ctr images pull --hosts-dir $ROOT/etc/containerd/certs.d docker.io/library/alpine:latest"`;
}

function podmanBody(target: SetupTarget): string {
  const { hostPort } = parseMirrorUrl(target.mirrorUrl);
  const blocks = target.registries.map((registry) => {
    const text = snippetText('podman', target.mirrorUrl);
    // Podman sends no registry name, so the mirror tells registries apart by a path prefix.
    return registry === 'docker.io' ? text : forRegistry(text, registry).replace(`location = "${hostPort}"`, `location = "${hostPort}/${registry}"`);
  });
  return `${heredoc('install_owned_file "$ROOT/etc/containers/registries.conf.d/50-dockmirror.conf"', `${ownedMarker}\n${blocks.join('\n')}`)}
if grep -qs '^[[:space:]]*prefix[[:space:]]*=[[:space:]]*"docker.io"' "$ROOT/etc/containers/registries.conf"; then
  echo "$ROOT/etc/containers/registries.conf has its own docker.io entry; remove it, since only one may exist." >&2
  FAILED=1
fi`;
}

function k3sBody(target: SetupTarget): string {
  const lines = ['mirrors:'];
  for (const registry of target.registries) {
    const snippet = forRegistry(snippetText('k3s', target.mirrorUrl), registry);
    lines.push(...snippet.trimEnd().split('\n').slice(1));
  }
  return heredoc('install_owned_file "$ROOT/etc/rancher/k3s/registries.yaml"', `${ownedMarker}\n${lines.join('\n')}\n`);
}

const frames: Record<SetupRuntime, { title: string; versionCommand: string; restartCommand: string; login: (hostPort: string) => string; body: (t: SetupTarget) => string }> = {
  docker: {
    title: 'Docker Engine',
    versionCommand: `dockerd --version | awk '{ sub(",", "", $3); print $3; exit }'`,
    restartCommand: 'systemctl restart docker',
    login: (hostPort) => `docker login ${hostPort}`,
    body: dockerBody,
  },
  containerd: {
    title: 'containerd',
    versionCommand: `containerd --version | awk '{ print $3; exit }'`,
    restartCommand: 'systemctl restart containerd',
    login: (hostPort) => `ctr images pull --user USERNAME --hosts-dir /etc/containerd/certs.d … (or add an Authorization header for ${hostPort} in hosts.toml)`,
    body: containerdBody,
  },
  podman: {
    title: 'Podman',
    versionCommand: `podman --version | awk '{ print $3; exit }'`,
    // Podman reads registries.conf.d on its next command; nothing runs in the background.
    restartCommand: '',
    login: (hostPort) => `podman login --tls-verify=false ${hostPort}`,
    body: podmanBody,
  },
  k3s: {
    title: 'k3s',
    versionCommand: `k3s --version | awk '{ print $3; exit }'`,
    restartCommand: 'systemctl restart k3s',
    login: (hostPort) => `add configs: {"${hostPort}": {auth: {username: …, password: …}}} to registries.yaml`,
    body: k3sBody,
  },
};

export function runtimeScript(runtime: SetupRuntime, target: SetupTarget): string {
  const { normalized, hostPort } = parseMirrorUrl(target.mirrorUrl);
  const frame = frames[runtime];
  return setupScript({
    title: frame.title,
    mirrorUrl: normalized,
    runtime,
    versionCommand: frame.versionCommand,
    restartCommand: frame.restartCommand,
    loginLine: target.loginRequired ? frame.login(hostPort) : null,
    body: frame.body({ ...target, mirrorUrl: normalized }),
  });
}

/** The one line a person pastes on a LAN host. */
export function oneLiner(runtime: SetupRuntime, mirrorUrl: string): string {
  return `curl -fsSL ${shQuote(`${parseMirrorUrl(mirrorUrl).normalized}/setup/${runtime}`)} | sudo sh`;
}

/** The one line with the script checked against its sha256 before it runs. */
export function checkedOneLiner(runtime: SetupRuntime, mirrorUrl: string, sha256: string): string {
  return `curl -fsSL ${shQuote(`${parseMirrorUrl(mirrorUrl).normalized}/setup/${runtime}`)} -o s && echo "${sha256}  s" | sha256sum -c && sudo sh s`;
}
