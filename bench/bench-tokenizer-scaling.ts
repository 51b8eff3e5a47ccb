/**
 * Tokenizer time against input length: every distinct tokenizer.json of the fixtures, 1 KiB … 1 MiB (UTF-16
 * units, doubling), for one character repeated, one-letter words, seeded random Unicode, text full of added
 * tokens and mixed-script prose, truncation and padding off (the whole text is tokenized). Prints the time of
 * each size and the time ratio per doubling (linear: ~2; quadratic: ~4), and the 1 MiB time per tokenizer.
 *
 *   npm run bench:tokenizer-scaling [-- --max 1048576 --only t5 --kinds repeat,random --budget 60000]
 *
 * Each run starts after a full garbage collection. A series stops early when one encode takes over `--budget`
 * ms (default 60,000).
 */
import { INPUT_KINDS, loadUntruncated, longInput, scalingTokenizers, timeEncode, type InputKind } from '../test/helpers/tokenizer_scaling.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}

const max = Number(arg('max', String(1 << 20)));
const only = arg('only', '');
const budget = Number(arg('budget', '60000'));
const kinds = arg('kinds', INPUT_KINDS.join(',')).split(',') as InputKind[];

const sizes: number[] = [];
for (let n = 1024; n <= max; n *= 2) sizes.push(n);

console.log(`tokenizer time vs input length (ms; x = ratio to the previous size), sizes ${sizes[0]} … ${sizes[sizes.length - 1]} UTF-16 units`);
const summary: string[] = [];
for (const t of scalingTokenizers()) {
  if (only && !t.name.includes(only)) continue;
  const t0 = performance.now();
  const tok = loadUntruncated(t.path);
  console.log(`\n${t.name} (load ${(performance.now() - t0).toFixed(0)} ms)`);
  for (const kind of kinds) {
    const cells: string[] = [];
    let prev = NaN;
    let last = '';
    timeEncode(tok, longInput(kind, 1024, tok)); // warm-up
    for (const n of sizes) {
      const text = longInput(kind, n, tok);
      const { ms, tokens } = timeEncode(tok, text, n <= 65536 ? 3 : 1, true);
      cells.push(`${ms.toFixed(ms < 10 ? 2 : 0)}${Number.isNaN(prev) ? '' : ` x${(ms / Math.max(prev, 0.01)).toFixed(1)}`}`);
      prev = ms;
      last = `${n}: ${ms.toFixed(0)} ms, ${tokens} tokens`;
      if (ms > budget) {
        cells.push(`(stopped: over ${budget} ms)`);
        break;
      }
    }
    console.log(`  ${kind.padEnd(7)} ${cells.join(' | ')}`);
    summary.push(`${t.name.padEnd(28)} ${kind.padEnd(7)} ${last}`);
  }
}
console.log('\nlargest size per tokenizer and input:');
for (const s of summary) console.log(`  ${s}`);
