import { defineConfig } from 'tsup';

export default defineConfig({
  // The library, and the `pm2-self` command (src/cli/main.ts starts with its #! line, kept by esbuild).
  entry: { index: 'src/index.ts', cli: 'src/cli/main.ts' },
  format: ['esm', 'cjs'],
  target: 'node20',
  platform: 'node',
  dts: { entry: { index: 'src/index.ts' }, compilerOptions: { ignoreDeprecations: '6.0' } },
  clean: true,
  sourcemap: true,
  splitting: false,
  treeshake: true,
});
