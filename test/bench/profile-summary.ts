// `node dist/test/bench/profile-summary.js <file.cpuprofile>…`: the top self-time functions of
// V8 CPU profiles (from BENCH_CHILD_NODE_ARGS="--cpu-prof …"), as text small enough to keep in
// RESULTS.md instead of the profiles themselves.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url ? `${basename(url)}:${lineNumber + 1}` : '';
  return `${functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
}

async function summarize(path: string, top: number): Promise<string> {
  const profile = JSON.parse(await readFile(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<string, number>();
  let totalUs = 0;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    const node = byId.get(id);
    if (!node) return;
    totalUs += delta;
    const key = label(node);
    selfUs.set(key, (selfUs.get(key) ?? 0) + delta);
  });
  const busyUs = totalUs - (selfUs.get('(idle)') ?? 0);
  const lines = [`${basename(path)}: ${(totalUs / 1000).toFixed(0)} ms sampled, ${(busyUs / 1000).toFixed(0)} ms not idle`];
  const ranked = [...selfUs.entries()].filter(([key]) => key !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [key, us] of ranked) lines.push(`  ${(us / 1000).toFixed(0).padStart(6)} ms ${((100 * us) / busyUs).toFixed(1).padStart(5)}%  ${key}`);
  return lines.join('\n');
}

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write('Usage: node dist/test/bench/profile-summary.js <file.cpuprofile>…\n');
  process.exitCode = 2;
} else {
  for (const file of files) process.stdout.write(`${await summarize(file, 15)}\n`);
}
