import { test } from 'node:test';
import assert from 'node:assert/strict';
import { daemonJsonSnippet, hostSnippets, mergeDaemonJson, mirrorUrlFor, parseMirrorUrl, parseStrictJson } from '../../main/shared/snippets.js';

const lan = 'http://192.168.1.20:5000';
const v6 = mirrorUrlFor('fd00::20', 5000);

function merged(existing: string, urls: string[]): { text: string; added: string[]; alreadyPresent: string[]; changed: boolean } {
  const result = mergeDaemonJson(existing, urls);
  if (!result.ok) assert.fail(`expected a merge, got: ${result.error.message}`);
  return result;
}

function failure(existing: string): { message: string; line: number; column: number } {
  const result = mergeDaemonJson(existing, [lan]);
  if (result.ok) assert.fail(`expected an error, got: ${result.text}`);
  return result.error;
}

test('daemonJsonSnippet keeps its CLI shape', () => {
  assert.deepEqual(JSON.parse(daemonJsonSnippet([lan])), { 'registry-mirrors': [lan] });
});

test('mirrorUrlFor brackets IPv6 hosts and leaves IPv4 and names alone', () => {
  assert.equal(v6, 'http://[fd00::20]:5000');
  assert.equal(mirrorUrlFor('[fe80::1]', 5001), 'http://[fe80::1]:5001');
  assert.equal(mirrorUrlFor('10.0.0.5', 5000), 'http://10.0.0.5:5000');
  assert.equal(mirrorUrlFor('mirror.lan', 443, 'https'), 'https://mirror.lan:443');
});

test('parseMirrorUrl refuses what dockerd refuses', () => {
  for (const bad of ['192.168.1.20:5000', 'http://host:5000/v2', 'http://u:p@host:5000', 'http://host:5000?x=1', 'ftp://host']) {
    assert.throws(() => parseMirrorUrl(bad), /not a mirror address/, bad);
  }
  assert.deepEqual(parseMirrorUrl('HTTP://Host:5000/'), { hostPort: 'host:5000', insecure: true, normalized: 'http://host:5000' });
});

test('a new daemon.json gets just the mirror', () => {
  for (const empty of ['', '  \n', '{}']) {
    const result = merged(empty, [lan]);
    assert.deepEqual(JSON.parse(result.text), { 'registry-mirrors': [lan] });
    assert.deepEqual(result.added, [lan]);
  }
});

test('merging keeps every other key, its order and its values', () => {
  const existing = '{\n  "log-driver": "json-file",\n  "log-opts": {"max-size": "10m"},\n  "debug": true,\n  "data-root": "/srv/docker"\n}\n';
  const result = merged(existing, [lan]);
  const parsed = JSON.parse(result.text) as Record<string, unknown>;
  assert.deepEqual(Object.keys(parsed), ['log-driver', 'log-opts', 'debug', 'data-root', 'registry-mirrors']);
  assert.deepEqual(parsed['log-opts'], { 'max-size': '10m' });
  assert.equal(parsed['debug'], true);
  assert.deepEqual(parsed['registry-mirrors'], [lan]);
  assert.equal(result.changed, true);
});

test('a mirror already present is not added twice, even spelt differently', () => {
  const existing = JSON.stringify({ 'registry-mirrors': ['HTTP://192.168.1.20:5000/'] });
  const result = merged(existing, [lan]);
  assert.deepEqual(JSON.parse(result.text)['registry-mirrors'], [lan]);
  assert.deepEqual(result.added, []);
  assert.deepEqual(result.alreadyPresent, [lan]);
});

test('other mirrors stay, after ours, and the key keeps its place', () => {
  const existing = JSON.stringify({ 'registry-mirrors': ['https://mirror.gcr.io'], debug: false });
  const result = merged(existing, [lan, v6]);
  const parsed = JSON.parse(result.text) as Record<string, unknown>;
  assert.deepEqual(Object.keys(parsed), ['registry-mirrors', 'debug']);
  assert.deepEqual(parsed['registry-mirrors'], [lan, v6, 'https://mirror.gcr.io']);
  assert.deepEqual(result.added, [lan, v6]);
});

test('merging twice changes nothing the second time', () => {
  const once = merged('{"debug": true}', [lan, v6]).text;
  const twice = merged(once, [lan, v6]);
  assert.equal(twice.text, once);
  assert.equal(twice.changed, false);
});

test('comments are reported with line and column, never dropped', () => {
  const error = failure('{\n  // my settings\n  "debug": true\n}');
  assert.equal(error.line, 2);
  assert.equal(error.column, 3);
  assert.match(error.message, /Comments are not allowed/);
  assert.match(failure('{ /* x */ }').message, /Comments/);
});

test('trailing commas are reported where the comma is', () => {
  const error = failure('{\n  "debug": true,\n}');
  assert.deepEqual([error.line, error.column], [2, 16]);
  assert.match(error.message, /Trailing comma before "}"/);
  assert.match(failure('{"registry-mirrors": ["http://a:1",]}').message, /Trailing comma before "]"/);
});

test('other invalid JSON says where and what', () => {
  const missingComma = failure('{\n  "a": 1\n  "b": 2\n}');
  assert.deepEqual([missingComma.line, missingComma.column], [3, 3]);
  assert.match(missingComma.message, /Expected "," or "}"/);
  assert.match(failure("{'debug': true}").message, /double quotes/);
  assert.match(failure('{"debug": tru}').message, /Expected a value/);
  assert.match(failure('{"a": 1, "a": 2}').message, /appears twice/);
  assert.match(failure('{"a": "x').message, /no closing quote/);
  assert.match(failure('{} {}').message, /after the end/);
  assert.match(failure('["http://a:1"]').message, /one JSON object/);
  assert.match(failure('{"registry-mirrors": "http://a:1"}').message, /must be a list/);
});

test('the strict reader agrees with JSON.parse on valid input', () => {
  const samples = ['{"a":[1,2.5,-3e2,true,false,null,"x\\n\\u00e9\\"y"],"b":{"c":{}}}', '[]', '"s"', ' 0 '];
  for (const sample of samples) {
    const result = parseStrictJson(sample);
    assert.ok(result.ok);
    assert.deepEqual(result.value, JSON.parse(sample));
  }
});

test('a "__proto__" key survives the merge as a plain key', () => {
  const result = merged('{"__proto__": {"polluted": true}}', [lan]);
  assert.deepEqual(Object.keys(JSON.parse(result.text)), ['__proto__', 'registry-mirrors']);
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
});

test('every runtime gets a snippet with its file, text and restart command', () => {
  const snippets = hostSnippets([lan, v6]);
  assert.deepEqual(snippets.map((s) => s.id), ['docker', 'containerd', 'podman', 'k3s', 'buildkit']);
  const byId = new Map(snippets.map((s) => [s.id, s]));
  assert.equal(byId.get('docker')!.filePath, '/etc/docker/daemon.json');
  assert.deepEqual(JSON.parse(byId.get('docker')!.text), { 'registry-mirrors': [lan, v6] });
  assert.equal(
    byId.get('containerd')!.text,
    'server = "https://registry-1.docker.io"\n\n[host."http://192.168.1.20:5000"]\n  capabilities = ["pull", "resolve"]\n\n[host."http://[fd00::20]:5000"]\n  capabilities = ["pull", "resolve"]\n',
  );
  assert.equal(byId.get('containerd')!.filePath, '/etc/containerd/certs.d/docker.io/hosts.toml');
  assert.match(byId.get('podman')!.text, /\[\[registry\]\]\nprefix = "docker.io"\nlocation = "docker.io"/);
  assert.match(byId.get('podman')!.text, /\[\[registry\.mirror\]\]\nlocation = "\[fd00::20\]:5000"\ninsecure = true/);
  assert.equal(byId.get('k3s')!.text, 'mirrors:\n  docker.io:\n    endpoint:\n      - "http://192.168.1.20:5000"\n      - "http://[fd00::20]:5000"\n');
  assert.match(byId.get('buildkit')!.text, /mirrors = \["192\.168\.1\.20:5000", "\[fd00::20\]:5000"\]/);
  assert.match(byId.get('buildkit')!.text, /\[registry\."\[fd00::20\]:5000"\]\n  http = true/);
  for (const snippet of snippets) {
    assert.ok(snippet.restartCommand.length > 0 && snippet.filePath.startsWith('/'), snippet.id);
  }
});

test('an https mirror is not marked insecure', () => {
  const snippets = hostSnippets(['https://mirror.lan:5000']);
  assert.doesNotMatch(snippets.find((s) => s.id === 'podman')!.text, /insecure/);
  assert.doesNotMatch(snippets.find((s) => s.id === 'buildkit')!.text, /http = true/);
});

test('every enabled registry gets its snippets: a hosts.toml per registry, a [[registry]] per registry with a prefixed mirror, k3s and BuildKit entries, and Docker its mirror plus insecure-registries for prefix pulls', () => {
  const snippets = hostSnippets([lan], ['docker.io', 'ghcr.io', 'registry.k8s.io']);
  const byId = new Map(snippets.map((s) => [s.id, s]));
  assert.deepEqual(byId.get('containerd')!.files, [
    { path: '/etc/containerd/certs.d/docker.io/hosts.toml', text: 'server = "https://registry-1.docker.io"\n\n[host."http://192.168.1.20:5000"]\n  capabilities = ["pull", "resolve"]\n' },
    { path: '/etc/containerd/certs.d/ghcr.io/hosts.toml', text: 'server = "https://ghcr.io"\n\n[host."http://192.168.1.20:5000"]\n  capabilities = ["pull", "resolve"]\n' },
    { path: '/etc/containerd/certs.d/registry.k8s.io/hosts.toml', text: 'server = "https://registry.k8s.io"\n\n[host."http://192.168.1.20:5000"]\n  capabilities = ["pull", "resolve"]\n' },
  ]);
  const podman = byId.get('podman')!.text;
  for (const registry of ['docker.io', 'ghcr.io', 'registry.k8s.io']) {
    assert.ok(podman.includes(`[[registry]]\nprefix = "${registry}"\nlocation = "${registry}"\n\n[[registry.mirror]]\nlocation = "192.168.1.20:5000/${registry}"\ninsecure = true`), podman);
  }
  assert.equal(byId.get('k3s')!.text, ['mirrors:', ...['docker.io', 'ghcr.io', 'registry.k8s.io'].flatMap((r) => [`  ${r}:`, '    endpoint:', `      - "${lan}"`]), ''].join('\n'));
  assert.match(byId.get('buildkit')!.text, /\[registry\."ghcr\.io"\]\n  mirrors = \["192\.168\.1\.20:5000"\]/);
  assert.deepEqual(JSON.parse(byId.get('docker')!.text), { 'registry-mirrors': [lan], 'insecure-registries': ['192.168.1.20:5000'] });
  assert.match(byId.get('docker')!.note, /docker pull 192\.168\.1\.20:5000\/ghcr\.io\/owner\/image/);
});
