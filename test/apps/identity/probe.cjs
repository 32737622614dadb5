'use strict';
// CommonJS probe: loads the built package with `require`.
const lib = require('../../../dist/index.cjs');
const { runProbe } = require('./probe-core.cjs');

void runProbe(lib, { module: 'cjs' });
