'use strict';
// A filler app for the benchmarks: does nothing, so that the daemon's list holds more than the probe.
setInterval(() => {}, 60_000);
