// "Did the image arrive intact in dockerd?" — compares what dockerd reports and what it exports
// with what was pushed: image ID = config digest, RootFS.Layers = diff_ids, and every layer tar in
// `docker save` re-hashed to its diff_id. Returns plain-sentence problems; empty means intact.
import { rm } from 'node:fs/promises';
import { type RunningDockerd } from './dockerd.js';
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
