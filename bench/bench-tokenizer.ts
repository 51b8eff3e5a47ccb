/**
 * Tokenizer throughput (tokens/s) on the seeded 20,000-string test corpus: ours against Hugging Face
 * tokenizers in Rust (@anush008/tokenizers: encodeBatch, multi-threaded, and one awaited encode at a time)
 * and the pure-JS @huggingface/tokenizers, all loading the same tokenizer.json (truncation and padding off).
 * Every runtime gets a fresh tokenizer per round (caches start cold); rounds are interleaved and medians kept.
 *
 *   npm run bench:tokenizer [-- --rounds 5 --n 20000 --file path/to/tokenizer.json]
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import rust from '@anush008/tokenizers';
import { requireBenchPeers } from './bench-common.js';
import { Tokenizer } from '../src/tokenizers/index.js';
import { corpus } from '../test/helpers/corpus.js';

await requireBenchPeers(['@huggingface/tokenizers']);
const { Tokenizer: HFJSTokenizer } = await import('@huggingface/tokenizers');

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = process.env.SENTENCE_TFJS_FIXTURES ? resolve(process.env.SENTENCE_TFJS_FIXTURES) : resolve(root, '..', 'shared', 'fixtures');

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}

const rounds = Number(arg('rounds', '3'));
const n = Number(arg('n', '20000'));
const files = process.argv.includes('--file')
  ? [arg('file', '')]
  : ['bert-base-uncased', 'all-mpnet-base-v2'].map((d) => join(fixtures, 'tokenizers', d, 'tokenizer.json'));

const texts = corpus(n);
const chars = texts.reduce((a, t) => a + t.length, 0);

interface Row {
  name: string;
  wall: number;
  cpu: number;
  tokens: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

type Runner = [name: string, run: () => Promise<number> | number];

/**
 * Runs every runtime once per round, interleaved (so a busy machine slows them alike), and keeps the median
 * wall time and the median CPU time (user + system of this process) of each.
 */
async function measure(runners: Runner[]): Promise<Row[]> {
  const walls = runners.map(() => [] as number[]);
  const cpus = runners.map(() => [] as number[]);
  const tokens = runners.map(() => 0);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < runners.length; i++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      tokens[i] = await runners[i][1]();
      walls[i].push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpus[i].push((c.user + c.system) / 1000);
    }
  }
  return runners.map(([name], i) => ({ name, wall: median(walls[i]), cpu: median(cpus[i]), tokens: tokens[i] }));
}

for (const file of files) {
  const jsonText = readFileSync(file, 'utf8');
  const json = JSON.parse(jsonText);
  json.truncation = null;
  json.padding = null;
  const plain = JSON.stringify(json);
  let configPath = join(dirname(file), 'tokenizer_config.json');
  let config: object = {};
  try {
    config = JSON.parse(readFileSync(configPath, 'utf8'));
  } catch {
    configPath = '(none)';
  }

  const rows = await measure([
    ['ours: encode (one text at a time)', () => {
      const t = Tokenizer.fromJSON(JSON.parse(plain));
      let k = 0;
      for (const s of texts) k += t.encode(s).ids.length;
      return k;
    }],
    ['ours: encodeBatch, batches of 32 (as sentence-transformers)', () => {
      const t = Tokenizer.fromJSON(JSON.parse(plain));
      let k = 0;
      for (let i = 0; i < texts.length; i += 32) for (const e of t.encodeBatch(texts.slice(i, i + 32))) k += e.ids.length;
      return k;
    }],
    [`ours: encodeBatch, all ${texts.length} texts at once`, () => {
      const t = Tokenizer.fromJSON(JSON.parse(plain));
      return t.encodeBatch(texts).reduce((a, e) => a + e.ids.length, 0);
    }],
    ['@huggingface/tokenizers (pure JS): encode', () => {
      const t = new HFJSTokenizer(JSON.parse(plain), config);
      let k = 0;
      for (const s of texts) k += t.encode(s).ids.length;
      return k;
    }],
    ['@anush008/tokenizers (Rust): await encode, one at a time', async () => {
      const t = rust.Tokenizer.fromString(plain);
      let k = 0;
      for (const s of texts) k += (await t.encode(s)).getLength();
      return k;
    }],
    [`@anush008/tokenizers (Rust): encodeBatch (${cpus().length} cores)`, async () => {
      const t = rust.Tokenizer.fromString(plain);
      return (await t.encodeBatch(texts)).reduce((a, e) => a + e.getLength(), 0);
    }],
  ]);

  const base = rows.find((r) => r.name.startsWith('@huggingface'))!;
  console.log(`\n${file}\n${texts.length} texts, ${chars} UTF-16 units, ${rounds} interleaved rounds (medians), Node ${process.version}, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}\n`);
  console.log('Ratios use wall time; the Rust binding works on other threads, so its CPU time is not comparable.\n');
  console.log('| runtime | tokens | wall ms | CPU ms | tokens/s (wall) | vs @huggingface/tokenizers (wall) | (CPU) |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    const tps = (r.tokens / r.wall) * 1000;
    const isRust = r.name.includes('Rust');
    console.log(`| ${r.name} | ${r.tokens} | ${r.wall.toFixed(0)} | ${r.cpu.toFixed(0)} | ${Math.round(tps).toLocaleString('en-US')} | ${(base.wall / r.wall).toFixed(2)}× | ${isRust ? '-' : (base.cpu / r.cpu).toFixed(2) + '×'} |`);
  }
}
