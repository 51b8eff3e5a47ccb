/**
 * House rule: no spread arguments on unbounded arrays in src/. `f(...arr)`, `push(...arr)`, `Math.max(...arr)` and
 * `String.fromCharCode(...bytes)` put every element on the call stack and throw "Maximum call stack size exceeded"
 * past about 100,000 elements (the CLI's `encode` died at 150,000 lines, `similarity` at 400 sentences). Found
 * here with the TypeScript compiler API: a spread in the argument list of a call or `new`, and
 * `f.apply(null | undefined, arr)`, fail unless
 * - the spread is a rest parameter of the enclosing function passed on (as many as its caller wrote, and the
 *   caller is checked too), or
 * - the line carries `// spread-ok: <why it is bounded>`.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { Tokenizer } from '../src/tokenizers/index.js';
import { fixture, PROJECT_ROOT, requireFixtures } from './helpers/fixtures.js';

const ALLOW = /\/\/\s*spread-ok:\s*\S/;

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sourceFiles(p, out);
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Whether `id` names a rest parameter of the function that encloses `node`. */
function isOwnRestParameter(node: ts.Node, id: ts.Identifier): boolean {
  let f: ts.Node | undefined = node.parent;
  while (f && !ts.isFunctionLike(f)) f = f.parent;
  if (!f) return false;
  return (f as ts.SignatureDeclaration).parameters.some((p) => p.dotDotDotToken !== undefined && ts.isIdentifier(p.name) && p.name.text === id.text);
}

/** The unbounded-spread findings of one source text, as `file:line: code`. */
function findUnboundedSpreads(fileName: string, text: string): string[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const lines = text.split('\n');
  const found: string[] = [];
  const report = (n: ts.Node) => {
    const line = sf.getLineAndCharacterOfPosition(n.getStart(sf)).line;
    if (!ALLOW.test(lines[line])) found.push(`${fileName}:${line + 1}: ${lines[line].trim()}`);
  };
  const visit = (n: ts.Node): void => {
    if (ts.isSpreadElement(n) && (ts.isCallExpression(n.parent) || ts.isNewExpression(n.parent))) {
      if (!(ts.isIdentifier(n.expression) && isOwnRestParameter(n, n.expression))) report(n);
    }
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && n.expression.name.text === 'apply' && n.arguments.length === 2) {
      const self = n.arguments[0];
      if (self.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(self) && self.text === 'undefined')) report(n);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

describe('house rule: no spread arguments on unbounded arrays in src/', () => {
  it('finds spreads in call and new argument lists, and apply(null, arr), unless allowed or a rest parameter passed on', () => {
    const code = [
      'const a = Math.max(...xs);',
      'out.push(...more);',
      'const s = String.fromCharCode.apply(null, units);',
      'const d = new Date(...parts);',
      'const ok = [...xs, 1];',
      'const b = Math.max(...pair); // spread-ok: a [number, number] tuple',
      'function j(...parts: string[]) { return path.join(...parts); }',
      'function k(...parts: string[]) { return path.join(...parts.slice(1)); }',
      'this.linear.apply(x);',
    ].join('\n');
    const found = findUnboundedSpreads('t.ts', code).map((f) => Number(f.split(':')[1]));
    assert.deepEqual(found, [1, 2, 3, 4, 8]);
  });

  it('src/ has none', () => {
    const src = join(PROJECT_ROOT, 'src');
    const found: string[] = [];
    for (const f of sourceFiles(src)) {
      for (const hit of findUnboundedSpreads(relative(PROJECT_ROOT, f), readFileSync(f, 'utf8'))) found.push(hit);
    }
    assert.deepEqual(found, [], `spread arguments in src/ (iterate, or add "// spread-ok: <bound>" when the array is bounded):\n${found.join('\n')}`);
  });

  it('a batch of 200,000 texts padded to the longest tokenizes (Math.max over the batch overflowed the stack)', function () {
    this.timeout(120000);
    if (!requireFixtures(this, ['models', 'tiny-bert', 'tokenizer.json'])) return;
    const tok = Tokenizer.fromJSON(JSON.parse(readFileSync(fixture('models', 'tiny-bert', 'tokenizer.json'), 'utf8')));
    const texts = Array.from({ length: 200_000 }, (_, i) => (i === 123_456 ? 'the longest text of all' : `d ${i % 10}`));
    const batch = tok.encodeBatch(texts, { padding: { strategy: 'longest' } });
    assert.equal(batch.length, 200_000);
    const longest = tok.encode('the longest text of all').ids.length;
    assert.ok(batch.every((e) => e.ids.length === longest));
  });
});
