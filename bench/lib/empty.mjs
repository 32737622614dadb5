// An empty ES module: the baseline of the ESM import-cost measure (loader start-up, resolution).
export {};
