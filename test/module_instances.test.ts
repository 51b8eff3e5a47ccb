/**
 * One instance of each src/ module per mocha process.
 *
 * mocha (on Node >= 20.19, where `process.features.require_module` is true) loads each test file with require(), so
 * tsx compiles the test file, and every src/ module it imports statically, to CommonJS. A dynamic `import()` in such
 * a file goes through Node's ES-module loader instead, which builds a second, ESM copy of the imported module and of
 * everything under it, with its own module state. Session 21 saw this as tfjs' "The kernel 'SentenceTfjs…' for backend
 * 'wasm' is already registered" (the ESM copy of src/kernels/wasm_kernels.ts registering its kernels again): the
 * dynamic `import('../src/models/index.js')` in test/models-qwen3.test.ts made it, and the q8 GEMM choice then read one
 * copy's state while tfjs ran the other's kernel. Test files therefore import src/ (and bench/, scripts/) statically.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PROJECT_ROOT } from './helpers/fixtures.js';

/** Every .ts file under test/ (helpers, browser entries and types included). */
function testSources(dir = join(PROJECT_ROOT, 'test')): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory() && e.name !== 'data') out.push(...testSources(p)); // spread-ok: one folder's entries
    else if (e.isFile() && e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

// Root-level hooks (this file's `before`/`after` belong to mocha's root suite): collect tfjs' warnings over the whole
// run and fail at its end if one of our kernels was registered twice, i.e. a second copy of the kernels module ran.
const duplicateKernels: string[] = [];
const originalWarn = console.warn;
before(() => {
  console.warn = (...args: unknown[]) => {
    const text = args.map(String).join(' ');
    if (/The kernel 'SentenceTfjs\w*' for backend '\w+' is already registered/.test(text)) duplicateKernels.push(text);
    originalWarn.apply(console, args);
  };
});
after(() => {
  console.warn = originalWarn;
  assert.deepEqual(duplicateKernels, [], 'a second instance of src/kernels/wasm_kernels.ts registered its kernels again in this mocha process (a dynamic import() of src/ from a test file loaded as CommonJS?)');
});

describe('one instance of each src/ module per mocha process', () => {
  it('no test file loads a project module with a dynamic import() (it would be a second, ES-module copy)', () => {
    const found: string[] = [];
    for (const file of testSources()) {
      const lines = readFileSync(file, 'utf8').split('\n');
      lines.forEach((line, i) => {
        // `await import('./x.js')` or `import('../src/x.js')` outside a template string written for a child process
        if (/(^|[^\w$`'"])import\(\s*['"]\.\.?\//.test(line) && !/^\s*(\/\/|\*)/.test(line)) found.push(`${relative(PROJECT_ROOT, file)}:${i + 1}: ${line.trim()}`);
      });
    }
    // test/training_gradients_bundle.test.ts writes a plain .mjs script for a child process; its import() runs there.
    const allowed = found.filter((f) => !f.startsWith('test/training_gradients_bundle.test.ts:'));
    assert.deepEqual(allowed, [], `import these statically instead:\n${allowed.join('\n')}`);
  });
});
