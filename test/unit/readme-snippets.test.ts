/**
 * The code in the README and the guides is real code: every JavaScript or TypeScript block is quoted
 * from a file under examples/ (compared line by line, leading and trailing spaces ignored, so a block
 * may quote an indented part). The examples type-check against the package's types
 * (`npm run typecheck:examples`) and run under a real pm2 daemon (test/pm2/example-*.test.ts). The
 * README's complete example is examples/readme/ in full, and every relative link in a shipped
 * Markdown file points at a file of the packed tarball.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
/** Every Markdown file the package ships: its code blocks are checked, its links must resolve. */
const DOCS = [
  'README.md',
  'CHANGELOG.md',
  'examples/README.md',
  ...readdirSync(resolve(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];
const CODE_LANGUAGES = new Set(['js', 'javascript', 'mjs', 'cjs', 'ts', 'typescript']);

const read = (path: string) => readFileSync(resolve(ROOT, path), 'utf8');

interface Block {
  readonly doc: string;
  readonly lang: string;
  readonly code: string;
  readonly line: number;
}

/** The fenced code blocks of a Markdown file. */
function codeBlocks(doc: string): Block[] {
  const text = read(doc);
  return [...text.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((match) => ({
    doc,
    lang: match[1] ?? '',
    code: match[2] ?? '',
    line: text.slice(0, match.index).split('\n').length,
  }));
}

/** Every source file under examples/. */
function exampleFiles(dir = resolve(ROOT, 'examples')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : exampleFiles(path);
    return /\.(m|c)?(j|t)s$/.test(entry.name) ? [path] : [];
  });
}

const trimmedLines = (text: string) => {
  const lines = text.split('\n').map((line) => line.trim());
  while (lines[0] === '') lines.shift();
  while (lines.at(-1) === '') lines.pop();
  return lines;
};

/** True when `block`'s lines appear, in a row, among `file`'s lines (both trimmed). */
function quotes(file: readonly string[], block: readonly string[]): boolean {
  if (block.length === 0) return false;
  for (let start = 0; start + block.length <= file.length; start++) {
    if (block.every((line, i) => file[start + i] === line)) return true;
  }
  return false;
}

/** GitHub's anchor for a heading. */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

/** The files `npm pack` puts in the tarball (relative to the root). */
async function packedFiles(): Promise<Set<string>> {
  const { stdout } = await execa('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT });
  const packed = JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>;
  return new Set(packed[0]?.files.map((file) => file.path) ?? []);
}

describe('README and guides', () => {
  const examples = exampleFiles().map((path) => ({
    path: relative(ROOT, path),
    lines: trimmedLines(readFileSync(path, 'utf8')),
  }));
  const blocks = DOCS.flatMap(codeBlocks).filter((block) => CODE_LANGUAGES.has(block.lang));

  it('have code blocks to check, and each is quoted from a file under examples/', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(15);
    const unquoted = blocks
      .filter((block) => !examples.some((file) => quotes(file.lines, trimmedLines(block.code))))
      .map((block) => `${block.doc}:${block.line}`);
    expect(unquoted).toEqual([]);
  });

  it('the README holds the complete example, app and ecosystem file, exactly as in examples/readme/', () => {
    const readme = codeBlocks('README.md').map((block) => block.code);
    expect(readme).toContain(read('examples/readme/app.mjs'));
    expect(readme).toContain(read('examples/readme/ecosystem.config.cjs'));
    expect(read('examples/readme/ecosystem.config.cjs')).toMatch(/kill_timeout: 10000/);
  });

  it('the README puts the user first: install, then the example; the clone commands at the end', () => {
    const readme = read('README.md');
    const shell = codeBlocks('README.md').filter((block) => block.lang === 'sh');
    expect(shell[0]?.code.trim()).toBe('npm install pm2-self');
    const working = readme.slice(readme.indexOf('## Working on pm2-self'));
    expect(working).toContain('npm ci && npm run demo');
    expect(working).toContain('npm ci && npm test');
    expect(readme.indexOf('## Install')).toBeLessThan(readme.indexOf('## A complete example'));
  });

  it('link only to files the tarball has (npm pack), and to headings that exist', async () => {
    const packed = await packedFiles();
    expect([...DOCS, 'package.json', 'LICENSE'].filter((doc) => !packed.has(doc))).toEqual([]);
    const broken: string[] = [];
    for (const doc of DOCS) {
      const text = read(doc);
      const anchors = new Set([...text.matchAll(/^#+ (.+)$/gm)].map((m) => slug(m[1] ?? '')));
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (target === undefined || /^[a-z]+:/.test(target)) continue;
        const [path, anchor] = target.split('#');
        if (path === '' || path === undefined) {
          if (!anchors.has(anchor ?? '')) broken.push(`${doc}: #${anchor}`);
          continue;
        }
        const file = relative(ROOT, resolve(ROOT, dirname(doc), path));
        if (!packed.has(file)) broken.push(`${doc}: ${target} (not in the tarball)`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('send registry users to no file of the repository only: no test/ paths, no "in a clone"', () => {
    const found: string[] = [];
    for (const doc of DOCS.filter((name) => name !== 'CHANGELOG.md')) {
      // The README's last section is for contributors, who have a clone.
      const text = read(doc).split('## Working on pm2-self')[0] ?? '';
      for (const match of text.matchAll(/`test\/[^`]*`|in a clone/g)) found.push(`${doc}: ${match[0]}`);
    }
    expect(found).toEqual([]);
  });
});
