import { defineConfig } from 'tsup';

const shared = {
  target: 'node20',
  platform: 'node',
  sourcemap: true,
  splitting: false,
  treeshake: true,
} as const;

// dist/ is emptied by the build script first: the two builds run at once, so neither may clean it.
export default defineConfig([
  // The library, in both module systems, with its types.
  {
    ...shared,
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: { compilerOptions: { ignoreDeprecations: '6.0' } },
  },
  // The `pm2-self` command (src/cli/main.ts starts with its #! line, kept by esbuild): ESM only.
  { ...shared, entry: { cli: 'src/cli/main.ts' }, format: ['esm'] },
]);
