// `node dist/test/bench/flame-graph.js [--title T] [--min-percent P] <file.cpuprofile>… > out.svg`:
// a self-contained SVG flame graph of V8 CPU profiles (from BENCH_CHILD_NODE_ARGS="--cpu-prof …"),
// small enough to commit. Equal stacks are merged (across files too), idle time is left out, and
// frames under `--min-percent` (0.5 %) of the busy time are dropped with everything above them.
// Hand-written rather than a dependency: the layout is ~100 lines, and the flame graph packages
// on npm either pull in a browser bundle or expect perf's folded text, not V8's JSON.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

interface Frame {
  name: string;
  kind: 'ours' | 'node' | 'native' | 'deps';
  us: number;
  children: Map<string, Frame>;
}

const width = 1200;
const rowHeight = 16;
const fontSize = 11;

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url ? ` ${basename(url)}:${lineNumber + 1}` : '';
  return `${functionName || '(anonymous)'}${where}`;
}

function kindOf(url: string): Frame['kind'] {
  if (!url) return 'native';
  if (url.startsWith('node:')) return 'node';
  return url.includes('node_modules') ? 'deps' : 'ours';
}

function newFrame(name: string, kind: Frame['kind']): Frame {
  return { name, kind, us: 0, children: new Map() };
}

/** Adds one profile's samples to `root`, each sample's time to every frame of its stack. */
function addProfile(root: Frame, profile: CpuProfile): void {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const stackCache = new Map<number, ProfileNode[]>();
  const stackOf = (id: number): ProfileNode[] => {
    const cached = stackCache.get(id);
    if (cached) return cached;
    const stack: ProfileNode[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) stack.push(byId.get(at)!);
    stack.reverse();
    stackCache.set(id, stack);
    return stack;
  };
  profile.samples.forEach((id, index) => {
    const us = profile.timeDeltas[index] ?? 0;
    const stack = stackOf(id);
    if (us <= 0 || stack.some((node) => node.callFrame.functionName === '(idle)')) return;
    root.us += us;
    let frame = root;
    // The first node is V8's "(root)", which `root` already stands for.
    for (const node of stack.slice(1)) {
      const name = frameName(node);
      let child = frame.children.get(name);
      if (!child) frame.children.set(name, (child = newFrame(name, kindOf(node.callFrame.url))));
      child.us += us;
      frame = child;
    }
  });
}

function depthOf(frame: Frame, minUs: number): number {
  let deepest = 0;
  for (const child of frame.children.values()) if (child.us >= minUs) deepest = Math.max(deepest, depthOf(child, minUs));
  return deepest + 1;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A warm colour per name (stable across graphs, so before and after compare), hue by kind. */
function colour(frame: Frame): string {
  let hash = 0;
  for (const char of frame.name) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  const hue = { ours: 30, node: 200, native: 0, deps: 280 }[frame.kind] + (hash % 25);
  return `hsl(${hue}, 70%, ${60 + (hash % 15)}%)`;
}

function render(root: Frame, title: string, minUs: number): string {
  const depth = depthOf(root, minUs);
  const top = 40;
  const height = top + depth * rowHeight + 30;
  const scale = width / root.us;
  const rects: string[] = [];
  const draw = (frame: Frame, x: number, level: number): void => {
    const y = height - 30 - (level + 1) * rowHeight;
    const w = frame.us * scale;
    const share = ((100 * frame.us) / root.us).toFixed(1);
    const label = `${frame.name} (${(frame.us / 1000).toFixed(0)} ms, ${share} %)`;
    const fitting = Math.floor((w - 6) / (fontSize * 0.6));
    const text = fitting >= 3 ? (label.length <= fitting ? label : `${label.slice(0, fitting - 2)}..`) : '';
    rects.push(
      `<g><title>${escape(label)}</title><rect x="${x.toFixed(2)}" y="${y}" width="${Math.max(0.5, w - 0.5).toFixed(2)}" height="${rowHeight - 1}" fill="${colour(frame)}" rx="2"/>` +
        (text ? `<text x="${(x + 3).toFixed(2)}" y="${y + rowHeight - 4}">${escape(text)}</text>` : '') +
        '</g>',
    );
    let childX = x;
    const children = [...frame.children.values()].filter((child) => child.us >= minUs).sort((a, b) => a.name.localeCompare(b.name));
    for (const child of children) {
      draw(child, childX, level + 1);
      childX += child.us * scale;
    }
  };
  draw({ ...root, name: `all busy samples` }, 0, 0);
  const legend = 'orange: Dockmirror and bench code · blue: Node internals (node:) · red: native and V8 (GC, program) · violet: node_modules';
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="monospace" font-size="${fontSize}">`,
    `<rect width="100%" height="100%" fill="#fdfdf8"/>`,
    `<text x="6" y="16" font-size="14">${escape(title)}</text>`,
    `<text x="6" y="32" fill="#555">${escape(legend)}; frames under ${((100 * minUs) / root.us).toFixed(1)} % left out</text>`,
    ...rects,
    `</svg>`,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: { title: { type: 'string' }, 'min-percent': { type: 'string', default: '0.5' } },
    allowPositionals: true,
  });
  const minPercent = Number(values['min-percent']);
  if (positionals.length === 0 || !(minPercent >= 0 && minPercent < 100)) {
    process.stderr.write('Usage: node dist/test/bench/flame-graph.js [--title T] [--min-percent P] <file.cpuprofile>… > out.svg\n');
    process.exitCode = 2;
    return;
  }
  const root = newFrame('(root)', 'native');
  for (const path of positionals) addProfile(root, JSON.parse(await readFile(path, 'utf8')) as CpuProfile);
  if (root.us === 0) throw new Error('The profiles hold no busy samples.');
  const title = values.title ?? `${positionals.length} profile(s), ${(root.us / 1000).toFixed(0)} ms busy`;
  process.stdout.write(render(root, title, (root.us * minPercent) / 100));
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
