import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const forbidden = [
  {
    selector: "CallExpression[callee.property.name='execSync']",
    message: 'Never block the event loop: use the command runner port.',
  },
  {
    selector: "CallExpression[callee.property.name='spawnSync']",
    message: 'Never block the event loop: use the command runner port.',
  },
  {
    selector: "CallExpression[callee.property.name='execFileSync']",
    message: 'Never block the event loop: use the command runner port.',
  },
];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'bench/.dist/**',
      'docs/api/**',
      'node_modules/**',
      'coverage/**',
      '.tmp/**',
      'examples/**/node_modules/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        globalThis: 'readonly',
        fetch: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', __dirname: 'readonly', __filename: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...forbidden,
        {
          selector: "CallExpression[callee.object.name='process'][callee.property.name='exit']",
          message: 'process.exit lives only in src/ports/node-ports.ts.',
        },
        {
          selector: "CallExpression[callee.name='require'][arguments.0.value='pm2']",
          message: 'Never load pm2 in the library.',
        },
      ],
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'pm2', message: 'Never load pm2 in the library.' }] },
      ],
    },
  },
  {
    files: ['src/ports/node-ports.ts'],
    rules: { 'no-restricted-syntax': ['error', ...forbidden] },
  },
);
