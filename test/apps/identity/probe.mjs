// ESM probe: loads the built package with `import`, then the CJS build in the same process to compare.
import { createRequire } from 'node:module';
import * as lib from '../../../dist/index.js';
import core from './probe-core.cjs';

const require = createRequire(import.meta.url);
await core.runProbe(lib, { module: 'esm', other: require('../../../dist/index.cjs') });
