/**
 * The import rule of src/, checked by `npm test` (see README, "How it is built").
 *
 * Imports run one way: cli -> server, viz -> run -> train -> vae -> nn -> engine -> kernels,
 * with data, measure and io beside. A layer may import any layer below it, never one above
 * or beside it at its own height; data, measure and io may import each other and the engine
 * and kernels, and every layer from nn up may import them. src/errors.ts is for everyone;
 * src/index.ts, the library's front, is for no one inside src/.
 */

/** Each layer, with the layers it may import (besides itself and src/errors.ts). */
const BESIDE = ['data', 'measure', 'io'];
const CAN_IMPORT = {
  kernels: [],
  engine: ['kernels'],
  data: ['engine', 'kernels', 'io', 'measure'],
  measure: ['engine', 'kernels', 'data', 'io'],
  io: ['engine', 'kernels', 'data', 'measure'],
  // A drawn sample made into the stored one (browser-safe): beside data, for the servers and commands above.
  collect: ['engine', 'kernels', ...BESIDE],
  nn: ['engine', 'kernels', ...BESIDE],
  vae: ['nn', 'engine', 'kernels', ...BESIDE],
  train: ['vae', 'nn', 'engine', 'kernels', ...BESIDE],
  run: ['train', 'vae', 'nn', 'engine', 'kernels', ...BESIDE],
  viz: ['run', 'train', 'vae', 'nn', 'engine', 'kernels', ...BESIDE],
  server: ['collect', 'run', 'train', 'vae', 'nn', 'engine', 'kernels', ...BESIDE],
  cli: ['server', 'collect', 'viz', 'run', 'train', 'vae', 'nn', 'engine', 'kernels', ...BESIDE],
};
const LAYERS = Object.keys(CAN_IMPORT);

const layerRules = LAYERS.map((layer) => {
  const above = LAYERS.filter((other) => other !== layer && !CAN_IMPORT[layer].includes(other));
  return {
    name: `layer-${layer}`,
    comment: `src/${layer}/ may import only ${CAN_IMPORT[layer].length > 0 ? CAN_IMPORT[layer].join(', ') : 'itself'} (and src/errors.ts)`,
    severity: 'error',
    from: { path: `^src/${layer}/` },
    to: { path: `^src/(${above.join('|')})/` },
  };
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'no-circular',
      comment: 'a cycle makes two modules one; break it by moving what both need below both',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-index',
      comment: 'src/index.ts is the library front for users; modules import what they need directly',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^src/index\\.ts$' },
    },
    {
      name: 'layer-known',
      comment: 'a new folder in src/ needs its place in the layer order (.dependency-cruiser.cjs and README)',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^src/[^/]+/', pathNot: `^src/(${LAYERS.join('|')})/` },
    },
    {
      name: 'layer-known-from',
      comment: 'a new folder in src/ needs its place in the layer order (.dependency-cruiser.cjs and README)',
      severity: 'error',
      from: { path: '^src/[^/]+/', pathNot: `^src/(${LAYERS.join('|')})/` },
      to: { path: '^src/' },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'an import that names no file',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: a type from above ties a layer to it just the same.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.cjs', '.mjs', '.json', '.d.ts'],
    },
  },
};
