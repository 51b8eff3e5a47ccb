/**
 * The README says what is true: its sections come in the agreed order, its scripts table lists every npm script
 * (and no other), its examples table links every program in examples/node, and every message quoted under
 * "Common errors" is one the sources really produce (the literal parts of each quoted message appear in src/).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PROJECT_ROOT } from './helpers/fixtures.js';

const README = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');

/** The text of the `## title` section (up to the next `## ` heading). */
function section(title: string): string {
  const lines = README.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`## ${title}`));
  assert.ok(start >= 0, `README has a "## ${title}" section`);
  const end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  return lines.slice(start + 1, end < 0 ? undefined : end).join('\n');
}

/** The contents of the inline code spans of a Markdown line (single or double backticks). */
function codeSpans(line: string): string[] {
  return [...line.matchAll(/(`+)(?!`)([\s\S]*?[^`])\1(?!`)/g)].map((m) => (m[1].length > 1 ? m[2].trim() : m[2]));
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('README', () => {
  it('has the sections Quick start, Install, CLI, API, Examples, Common errors, Scripts, Architecture, Layout in that order', () => {
    const titles = README.split('\n').filter((l) => l.startsWith('## ')).map((l) => l.slice(3));
    const wanted = ['Quick start', 'Install', 'Command line', 'API', 'Examples', 'Common errors', 'Scripts', 'Architecture', 'Layout'];
    const found = wanted.map((w) => titles.findIndex((t) => t.startsWith(w)));
    wanted.forEach((w, i) => assert.ok(found[i] >= 0, `a "## ${w}" section (sections: ${titles.join(' | ')})`));
    assert.deepEqual(found, [...found].sort((a, b) => a - b), `in order; sections: ${titles.join(' | ')}`);
  });

  it('the scripts table has a row for every npm script in package.json, and only those', () => {
    const scripts = Object.keys((JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts);
    const rows = section('Scripts')
      .split('\n')
      .filter((l) => l.startsWith('| `npm '))
      .map((l) => /^\| `npm (?:run )?([^` ]+)/.exec(l)?.[1] ?? '');
    assert.deepEqual([...rows].sort(), [...scripts].sort());
  });

  it('the examples table links every program in examples/node, and each link exists', () => {
    const text = section('Examples');
    const linked = [...text.matchAll(/\]\((examples\/node\/[^)]+)\)/g)].map((m) => m[1]);
    for (const l of linked) assert.ok(existsSync(join(PROJECT_ROOT, l)), `${l} exists`);
    const programs = readdirSync(join(PROJECT_ROOT, 'examples', 'node')).filter((f) => f.endsWith('.ts')).map((f) => `examples/node/${f}`);
    assert.deepEqual([...new Set(linked)].sort(), programs.sort());
  });

  it('every message quoted in a "Common errors" heading is produced by the sources', () => {
    const sources = sourceFiles(join(PROJECT_ROOT, 'src')).map((f) => ({
      file: relative(PROJECT_ROOT, f),
      // template literals escape their backticks in the source
      text: readFileSync(f, 'utf8').replace(/\\`/g, '`'),
    }));
    const headings = section('Common errors').split('\n').filter((l) => l.startsWith('### '));
    assert.ok(headings.length >= 10, `at least 10 common errors, got ${headings.length}`);
    for (const heading of headings) {
      const quoted = codeSpans(heading);
      assert.ok(quoted.length > 0, `"${heading}" quotes a message in backticks`);
      for (const message of quoted) {
        // `<...>` (with the quotes around it, if any) stands for the varying part: every literal piece must be in src/
        const pieces = message.split(/["']?<[^>]+>["']?/).map((p) => p.trim()).filter((p) => p.length >= 4);
        assert.ok(pieces.length > 0, message);
        for (const piece of pieces) {
          assert.ok(sources.some((s) => s.text.includes(piece)), `README quotes "${piece}" (in "${message}"), which no file in src/ contains`);
        }
      }
    }
  });

  it('the Layout block names every folder of src/', () => {
    const layout = section('Layout');
    const folders = readdirSync(join(PROJECT_ROOT, 'src'), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    const missing = folders.filter((f) => !new RegExp(`^src/${f}\\s`, 'm').test(layout));
    assert.deepEqual(missing, [], `src/ folders missing from the README's Layout: ${missing.join(', ')}`);
  });

  it('every initBackend(...) call it shows passes the device first (initBackend(device?, options); an options object first is refused)', () => {
    const docs = [README, ...readdirSync(join(PROJECT_ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => readFileSync(join(PROJECT_ROOT, 'docs', f), 'utf8'))];
    const calls = docs.flatMap((text) => [...text.matchAll(/initBackend\(([^)]*)\)/g)].map((m) => m[1].trim()));
    assert.ok(calls.length >= 3, `found ${calls.length} initBackend calls`);
    const bad = calls.filter((args) => args !== '' && !/^(['"]\w+['"]|device|undefined)(\s*,|$)/.test(args));
    assert.deepEqual(bad, [], `initBackend calls whose first argument is not a device: ${bad.join(' | ')}`);
  });
});
