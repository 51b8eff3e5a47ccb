/**
 * The house plan of docs/architecture.md, checked by dependency-cruiser (`npm run lint:arch`).
 *
 * Layers, top to bottom (each imports only layers below it):
 *   cli → api → training → losses, evaluation → modules (pooling) → models → layers → kernels → weights → formats
 * Side layers: backends (device selection, imports kernels and platform), tokenizers and hub (pure TypeScript, no
 * tfjs), util (plain embeddings, no models), platform (the only place that touches Node built-ins).
 *
 * One named rule per edge class: a violation prints the rule's name and the offending import.
 */
const SRC = '^src/';
/** Any tfjs package (resolved through node_modules, which may be a symlink). */
const TFJS = '(^|/)node_modules/@tensorflow/';
const dir = (...names) => `^src/(${names.join('|')})/`;

/** Everything that sits below a layer may not import it. */
function noUpward(name, target, importers, comment) {
  return { name, comment, severity: 'error', from: { path: dir(...importers) }, to: { path: dir(...target) } };
}

module.exports = {
  forbidden: [
    // ── the layer order ────────────────────────────────────────────────────────────────────────────────────────
    {
      name: 'no-import-of-cli',
      comment: 'cli/ is the top: nothing else (src/index.ts included) imports it.',
      severity: 'error',
      from: { path: SRC, pathNot: dir('cli') },
      to: { path: dir('cli') },
    },
    {
      name: 'no-upward-import-to-api',
      comment: 'api/ (SentenceTransformer, CrossEncoder, pool) is imported only by cli/ and src/index.ts.',
      severity: 'error',
      from: { path: SRC, pathNot: [dir('cli', 'api'), '^src/index\\.ts$'] },
      to: { path: dir('api') },
    },
    noUpward(
      'no-upward-import-to-training',
      ['training'],
      ['losses', 'evaluation', 'modules', 'pooling', 'models', 'layers', 'kernels', 'weights', 'formats', 'backends', 'tokenizers', 'hub', 'util', 'platform'],
      'training/ (the trainer, optimizer, schedules, data) is imported only by api/ (fit), cli/ and src/index.ts.',
    ),
    noUpward(
      'no-upward-import-to-losses-and-evaluation',
      ['losses', 'evaluation'],
      ['modules', 'pooling', 'models', 'layers', 'kernels', 'weights', 'formats', 'backends', 'tokenizers', 'hub', 'util', 'platform'],
      'losses/ (tensor functions of embeddings or scores) and evaluation/ (metrics over anything with encode/predict) sit under training/.',
    ),
    noUpward(
      'no-upward-import-to-modules',
      ['modules', 'pooling'],
      ['models', 'layers', 'kernels', 'weights', 'formats', 'backends', 'tokenizers', 'hub', 'util', 'platform'],
      'modules/ (and pooling/) are imported only by api/, cli/ and src/index.ts.',
    ),
    noUpward(
      'no-upward-import-to-models',
      ['models'],
      ['layers', 'kernels', 'weights', 'formats', 'backends', 'tokenizers', 'hub', 'util', 'platform'],
      'models/ (architectures) are built from layers/; nothing below them imports them.',
    ),
    noUpward(
      'no-upward-import-to-layers',
      ['layers'],
      ['kernels', 'weights', 'formats', 'backends', 'tokenizers', 'hub', 'util', 'platform'],
      'layers/ (shared blocks) sit on kernels/ and weights/; kernels and the pure layers never import them.',
    ),
    noUpward(
      'no-upward-import-to-kernels',
      ['kernels'],
      ['weights', 'formats', 'tokenizers', 'hub', 'util', 'platform'],
      'kernels/ (fused ops) are imported by layers/ (and backends/ to install them), not by the pure layers.',
    ),
    noUpward(
      'no-upward-import-to-backends',
      ['backends'],
      ['weights', 'formats', 'tokenizers', 'hub', 'util', 'platform'],
      'backends/ (device selection) is imported from the tensor stack and above, never by the pure layers.',
    ),
    noUpward(
      'no-upward-import-to-weights',
      ['weights'],
      ['kernels', 'backends', 'formats', 'tokenizers', 'hub', 'util', 'platform'],
      'weights/ (WeightMap over a TensorSource) is read by layers/, models/ and modules/.',
    ),
    {
      name: 'formats-is-the-bottom',
      comment: 'formats/ (safetensors, .npy) works on typed arrays only: no other src/ layer, no package, no Node built-in.',
      severity: 'error',
      from: { path: dir('formats') },
      to: { pathNot: dir('formats') },
    },
    // ── the pure layers ────────────────────────────────────────────────────────────────────────────────────────
    {
      name: 'tokenizers-no-tfjs',
      comment: 'tokenizers/ is pure TypeScript: it runs and is tested without any tfjs backend.',
      severity: 'error',
      from: { path: dir('tokenizers') },
      to: { path: TFJS },
    },
    {
      name: 'hub-no-tfjs',
      comment: 'hub/ (resolve, download, cache) is pure TypeScript: no tfjs.',
      severity: 'error',
      from: { path: dir('hub') },
      to: { path: TFJS },
    },
    {
      name: 'tokenizers-import-only-platform-and-formats',
      comment: 'tokenizers/ reads its files through platform/ and depends on no other src/ layer.',
      severity: 'error',
      from: { path: dir('tokenizers') },
      to: { path: SRC, pathNot: dir('tokenizers', 'platform', 'formats') },
    },
    {
      name: 'hub-imports-only-platform-and-formats',
      comment: 'hub/ depends on no other src/ layer than platform/ (and formats/).',
      severity: 'error',
      from: { path: dir('hub') },
      to: { path: SRC, pathNot: dir('hub', 'platform', 'formats') },
    },
    {
      name: 'util-never-imports-models',
      comment: 'util/ works on plain embeddings; `paraphraseMining(model, …)` takes anything with `encode`.',
      severity: 'error',
      from: { path: dir('util') },
      to: { path: dir('models', 'layers', 'kernels', 'modules', 'pooling', 'api', 'training', 'losses', 'evaluation', 'cli', 'backends', 'weights', 'tokenizers', 'hub', 'platform') },
    },
    {
      name: 'util-no-tfjs-at-runtime',
      comment: 'util/ recognises tensors by shape; it may name the Tensor type but never loads tfjs.',
      severity: 'error',
      from: { path: dir('util') },
      to: { path: TFJS, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'layers-and-models-no-io',
      comment: 'layers/ and models/ receive a WeightMap and a config: no hub/, cli/ or platform/ (no file or network I/O).',
      severity: 'error',
      from: { path: dir('layers', 'models', 'kernels') },
      to: { path: dir('hub', 'cli', 'platform', 'tokenizers') },
    },
    {
      name: 'platform-imports-only-pure-layers',
      comment: 'platform/ is the Node edge under everything: it may wrap formats/ and util/ bytes into files, nothing above.',
      severity: 'error',
      from: { path: dir('platform') },
      to: { path: SRC, pathNot: dir('platform', 'formats', 'util') },
    },
    {
      name: 'only-platform-node-builtins',
      comment: 'Only platform/ touches Node built-ins (node:fs, node:path, …), so everything else bundles for browsers.',
      severity: 'error',
      from: { path: SRC, pathNot: dir('platform') },
      to: { dependencyTypes: ['core'] },
    },
    // ── hygiene ────────────────────────────────────────────────────────────────────────────────────────────────
    {
      name: 'no-circular',
      comment:
        'No static run-time import cycles: a cycle hides which side is the lower layer. Type-only edges are erased at build; ' +
        'a lazy `await import()` (e.g. Tokenizer.fromPretrainedDir -> tokenizers/pretrained.ts, which needs the file system) ' +
        'is the lower file calling up on demand and is allowed.',
      severity: 'error',
      from: { path: SRC },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only', 'dynamic-import'] } },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'Every import resolves.',
      severity: 'error',
      from: { path: SRC },
      to: { couldNotResolve: true },
    },
    {
      name: 'src-not-to-dev-dependencies',
      comment: 'The published code never loads a devDependency at run time (optional backends are peerDependencies).',
      severity: 'error',
      from: { path: SRC },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only', 'npm-peer'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.c$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.d.ts'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
