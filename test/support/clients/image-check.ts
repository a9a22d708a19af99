// "Did the image arrive intact?" for each real client. dockerd: image ID = config digest,
// RootFS.Layers = diff_ids, and every layer tar in `docker save` re-hashed to its diff_id.
// containerd: the image record and every blob re-hashed from its content store. skopeo: the copied
// layout re-hashed. Each returns plain-sentence problems; an empty list means intact.
import { rm } from 'node:fs/promises';
import { blobsOf, hostPlatform, type PushedImage, type PushedImageManifest } from '../images.js';
import { type RunningContainerd } from './containerd.js';
import { type RunningDockerd } from './dockerd.js';
import { type CopiedImage, type CopyLayout } from './skopeo.js';
import { hashTarEntries } from './tar-entries.js';

/** What a pushed single-platform image promises (PushedImageManifest from ../images.ts fits). */
export interface ExpectedImage {
  config: { digest: string };
  layers: readonly { diffId: string }[];
}

interface SaveManifestEntry {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
}

/** Lists every way the image in dockerd differs from `expected`; [] when it is intact. */
export async function dockerImageProblems(dockerd: RunningDockerd, image: string, expected: ExpectedImage): Promise<string[]> {
  const problems: string[] = [];
  const wantDiffIds = expected.layers.map((layer) => layer.diffId);
  const inspect = await dockerd.imageInspect(image);
  if (inspect === null) return [`dockerd has no image ${image}.`];
  if (inspect.Id !== expected.config.digest) problems.push(`Image ID is ${inspect.Id}, expected the config digest ${expected.config.digest}.`);
  if (JSON.stringify(inspect.RootFS.Layers) !== JSON.stringify(wantDiffIds)) {
    problems.push(`RootFS.Layers are ${JSON.stringify(inspect.RootFS.Layers)}, expected ${JSON.stringify(wantDiffIds)}.`);
  }
  const tar = await dockerd.save(image);
  try {
    const entries = await hashTarEntries(tar);
    const byPath = new Map(entries.map((entry) => [entry.path, entry]));
    const manifestEntry = byPath.get('manifest.json');
    if (manifestEntry?.content === undefined) return [...problems, `docker save ${image} wrote no manifest.json.`];
    const saved = JSON.parse(manifestEntry.content.toString('utf8')) as SaveManifestEntry[];
    const first = saved[0];
    if (first === undefined) return [...problems, `docker save ${image} listed no image.`];
    const config = byPath.get(first.Config);
    if (config === undefined) problems.push(`docker save lists config ${first.Config} but the tar lacks it.`);
    else if (config.digest !== expected.config.digest) problems.push(`Saved config hashes to ${config.digest}, expected ${expected.config.digest}.`);
    const savedDiffIds = first.Layers.map((layerPath) => byPath.get(layerPath)?.digest ?? `missing:${layerPath}`);
    if (JSON.stringify(savedDiffIds) !== JSON.stringify(wantDiffIds)) {
      problems.push(`Saved layer tars hash to ${JSON.stringify(savedDiffIds)}, expected the diff_ids ${JSON.stringify(wantDiffIds)}.`);
    }
  } finally {
    await rm(tar, { force: true });
  }
  return problems;
}

/** Where a pushed image's platform matches this machine (what clients pick out of an index). */
function hostManifest(expected: PushedImage): PushedImageManifest | undefined {
  if (expected.kind === 'manifest') return expected;
  const host = hostPlatform();
  return expected.manifests.find((m) => m.platform.architecture === host.architecture && m.platform.os === host.os);
}

export interface ContainerdCheckOptions {
  /** The pull used --all-platforms: every child of an index and its blobs must be there. */
  allPlatforms?: boolean;
  namespace?: string;
}

/**
 * Lists every way containerd's copy of `ref` differs from the pushed image: the image record's
 * digest, and each manifest and blob re-hashed from the content store. [] when intact.
 */
export async function containerdImageProblems(
  containerd: RunningContainerd,
  ref: string,
  expected: PushedImage,
  options: ContainerdCheckOptions = {},
): Promise<string[]> {
  const problems: string[] = [];
  const row = (await containerd.images(options.namespace)).find((image) => image.ref === ref);
  if (row === undefined) return [`containerd has no image ${ref}.`];
  if (row.digest !== expected.digest) problems.push(`containerd records ${ref} as ${row.digest}, expected ${expected.digest}.`);
  const manifests = expected.kind === 'index' && options.allPlatforms !== true ? [hostManifest(expected)] : expected.kind === 'index' ? expected.manifests : [expected];
  const wanted: { digest: string; size: number }[] = [expected];
  for (const manifest of manifests) {
    if (manifest === undefined) return [...problems, `The pushed index ${expected.digest} has no manifest for this machine.`];
    if (manifest !== expected) wanted.push(manifest);
    wanted.push(manifest.config, ...manifest.layers);
  }
  for (const item of wanted) {
    const actual = await containerd.hashContent(item.digest).catch(() => undefined);
    if (actual === undefined) problems.push(`containerd's content store lacks ${item.digest}.`);
    else if (actual.digest !== item.digest || actual.size !== item.size) {
      problems.push(`containerd's ${item.digest} hashes to ${actual.digest} (${actual.size} bytes), expected ${item.size} bytes.`);
    }
  }
  return problems;
}

/**
 * Lists every way a skopeo copy (read by readCopiedImage) differs from the pushed image. An `oci:`
 * copy of a Docker v2 manifest is rewritten by skopeo (manifest and config re-serialized), so only
 * its layers are compared there; a copy of an
 * index without `--all` holds only this machine's manifest.
 */
export function copiedImageProblems(copied: CopiedImage, expected: PushedImage, layout: CopyLayout): string[] {
  const problems = copied.corrupt.map((blob) => `Copied blob ${blob.digest} hashes to ${blob.actualDigest}.`);
  let target: PushedImage | undefined = expected;
  if (expected.kind === 'index' && copied.childManifestDigests.length === 0) target = hostManifest(expected);
  if (target === undefined) return [...problems, `The pushed index ${expected.digest} has no manifest for this machine.`];
  const rewritten = layout === 'oci' && target.mediaType.startsWith('application/vnd.docker.');
  if (!rewritten && copied.manifestDigest !== target.digest) problems.push(`Copied manifest is ${copied.manifestDigest}, expected ${target.digest}.`);
  if (target.kind === 'index') {
    const want = target.manifests.map((m) => m.digest);
    if (JSON.stringify(copied.childManifestDigests) !== JSON.stringify(want)) {
      problems.push(`Copied child manifests ${JSON.stringify(copied.childManifestDigests)}, expected ${JSON.stringify(want)}.`);
    }
  }
  // A rewritten image also gets a re-serialized config (same content, other bytes): layers only then.
  const configDigests = new Set(target.kind === 'index' ? target.manifests.map((m) => m.config.digest) : [target.config.digest]);
  const wantBlobs = blobsOf(target)
    .filter((b) => !rewritten || !configDigests.has(b.digest))
    .map((b) => `${b.digest}:${b.size}`)
    .sort();
  const gotBlobs = copied.blobs
    .filter((b) => !rewritten || b.digest !== copied.configDigest)
    .map((b) => `${b.digest}:${b.size}`)
    .sort();
  if (JSON.stringify(gotBlobs) !== JSON.stringify(wantBlobs)) problems.push(`Copied blobs ${JSON.stringify(gotBlobs)}, expected ${JSON.stringify(wantBlobs)}.`);
  return problems;
}
