/**
 * The folders of `src/` form layers: each imports only folders below it. A folder that imports one
 * that (directly or through others) imports it back fails here, with the files that make the cycle.
 */
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, normalize, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');

/** The layers from the bottom up: a folder may import only folders listed before it. */
const LAYERS = [
  'common',
  'pm2',
  'ports',
  'daemon',
  'identity',
  'info',
  'restart',
  'policy',
  'operator',
  '.',
  'cli',
];

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return sourceFiles(path);
      return Promise.resolve(entry.name.endsWith('.ts') ? [path] : []);
    }),
  );
  return nested.flat();
}

/** `'.'` for files at the top of src/, else the first folder below src/. */
function folderOf(file: string): string {
  const parts = relative(SRC, file).split(/[\\/]/);
  return parts.length === 1 ? '.' : (parts[0] as string);
}

/** Relative import and re-export specifiers, static and dynamic. */
function importsOf(text: string): string[] {
  const found = text.matchAll(/(?:from\s*|import\s*\(\s*|^import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm);
  return [...found].map((match) => match[1] as string);
}

interface Edge {
  readonly from: string;
  readonly to: string;
  readonly file: string;
  readonly target: string;
}

async function folderEdges(): Promise<Edge[]> {
  const edges: Edge[] = [];
  for (const file of await sourceFiles(SRC)) {
    for (const specifier of importsOf(await readFile(file, 'utf8'))) {
      const target = normalize(join(dirname(file), specifier));
      const from = folderOf(file);
      const to = folderOf(target);
      if (from !== to) edges.push({ from, to, file: relative(SRC, file), target: relative(SRC, target) });
    }
  }
  return edges;
}

describe('src/ layers', () => {
  it('lists every folder of src/ in a layer', async () => {
    const folders = new Set((await sourceFiles(SRC)).map(folderOf));
    expect([...folders].sort()).toEqual([...LAYERS].sort());
  });

  it('has no folder that imports a folder above it (so none imports one that imports it back)', async () => {
    const upward = (await folderEdges())
      .filter((edge) => LAYERS.indexOf(edge.to) > LAYERS.indexOf(edge.from))
      .map((edge) => `${edge.file} -> ${edge.target}`);
    expect(upward).toEqual([]);
  });

  it('finds an upward import when one is there', () => {
    // The check itself can fail: an import from ports/ into restart/ is upward.
    const edge = { from: 'ports', to: 'restart' };
    expect(LAYERS.indexOf(edge.to) > LAYERS.indexOf(edge.from)).toBe(true);
    expect(importsOf("import { x } from '../restart/machine.js';\nexport * from './y.js';")).toEqual([
      '../restart/machine.js',
      './y.js',
    ]);
  });
});

/** The files each file of src/ imports (relative imports, types included), keyed by path below src/. */
async function fileGraph(): Promise<Map<string, string[]>> {
  const graph = new Map<string, string[]>();
  for (const file of await sourceFiles(SRC)) {
    const targets = importsOf(await readFile(file, 'utf8')).map((specifier) =>
      relative(SRC, normalize(join(dirname(file), specifier))).replace(/\.js$/, '.ts'),
    );
    graph.set(relative(SRC, file), targets);
  }
  return graph;
}

/** Every cycle among files of one folder, each as its files in import order (first one smallest). */
function folderCycles(graph: Map<string, string[]>): string[][] {
  const cycles = new Map<string, string[]>();
  const visit = (path: string[]) => {
    const last = path.at(-1) as string;
    for (const next of graph.get(last) ?? []) {
      if (folderOf(join(SRC, next)) !== folderOf(join(SRC, last))) continue;
      const at = path.indexOf(next);
      if (at >= 0) {
        const cycle = path.slice(at);
        const start = cycle.indexOf([...cycle].sort()[0] as string);
        const turned = [...cycle.slice(start), ...cycle.slice(0, start)];
        cycles.set(turned.join(' -> '), turned);
      } else if (path.length < 12) visit([...path, next]);
    }
  };
  for (const file of graph.keys()) visit([file]);
  return [...cycles.values()];
}

describe('files within a folder', () => {
  it('import each other one way: no cycle, not even through types', async () => {
    const cycles = folderCycles(await fileGraph()).map((cycle) => cycle.join(' -> '));
    expect(cycles).toEqual([]);
  });

  it('finds a cycle when one is there', () => {
    const graph = new Map([
      ['restart/a.ts', ['restart/b.ts']],
      ['restart/b.ts', ['restart/a.ts', 'common/c.ts']],
      ['common/c.ts', []],
    ]);
    expect(folderCycles(graph)).toEqual([['restart/a.ts', 'restart/b.ts']]);
  });
});
