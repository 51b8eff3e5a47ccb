/**
 * The public API's types: test/types/api_types.ts (exact result types of encode / encodeQuery / encodeDocument and
 * CrossEncoder.predict per overload, and calls that must not compile) is compiled with the project's strict
 * tsconfig, and must give no diagnostics.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PROJECT_ROOT } from './helpers/fixtures.js';

type Ts = typeof import('typescript');

describe('public API types (compiled by tsc)', function () {
  this.timeout(180_000);

  it('encodeQuery / encodeDocument have encode\'s overloads, and predict is typed by its input and convertToTensor', () => {
    const ts = createRequire(import.meta.url)('typescript') as Ts;
    const configPath = join(PROJECT_ROOT, 'tsconfig.json');
    const config = ts.getParsedCommandLineOfConfigFile(configPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => assert.fail(String(d.messageText)) })!;
    const file = join(PROJECT_ROOT, 'test', 'types', 'api_types.ts');
    const program = ts.createProgram([file], { ...config.options, noEmit: true });
    const diagnostics = ts.getPreEmitDiagnostics(program);
    const text = ts.formatDiagnostics(diagnostics, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => PROJECT_ROOT, getNewLine: () => '\n' });
    assert.equal(diagnostics.length, 0, text);
    // The file is part of the program (not silently skipped), with its checks.
    const source = program.getSourceFile(file);
    assert.ok(source && source.text.includes('@ts-expect-error'), 'test/types/api_types.ts was not compiled');
  });
});
