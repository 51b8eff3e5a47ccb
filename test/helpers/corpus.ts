/**
 * A seeded, reproducible corpus of test strings for tokenizer parity (reused by the BPE/Unigram tests).
 * It covers ASCII prose, punctuation runs, numbers, URLs, accents and combining marks, CJK (incl. ideographs
 * beyond U+FFFF), emoji and ZWJ sequences, control / zero-width / whitespace characters, very long words,
 * empty and whitespace-only strings, special tokens written inside text, many scripts, random code points and
 * lone surrogates. `corpusPairs` gives pairs (long ones, for truncation).
 */

/** mulberry32: a small deterministic PRNG returning floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rng = () => number;
const int = (r: Rng, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rng, a: readonly T[]): T => a[Math.floor(r() * a.length)];
const cp = (c: number): string => String.fromCodePoint(c);

const WORDS = (
  'the of and to a in is it you that he was for on are with as I his they be at one have this from or had by hot ' +
  'word but what some we can out other were all there when up use your how said an each she which do their time if ' +
  'will way about many then them write would like so these her long make thing see him two has look more day could go ' +
  'come did number sound no most people my over know water than call first who may down side been now find any new ' +
  'work part take get place made live where after back little only round man year came show every good me give our ' +
  'under name very through just form sentence great think say help low line differ turn cause much mean before move ' +
  'right boy old too same tell does set three want air well also play small end put home read hand port large spell ' +
  'Transformers tokenization embeddings Hugging Face BERT unbelievable antidisestablishmentarianism running jumped ' +
  "don't can't won't it's I'm you're we've they'll o'clock rock'n'roll U.S.A. e.g. i.e. Mr. Dr. St. Jr."
).split(' ');

const ACCENTED = [
  'café', 'naïve', 'Über', 'São Paulo', 'Ångström', 'façade', 'résumé', 'jalapeño', 'Zürich', 'Kraków', 'Đà Nẵng',
  'Tiếng Việt', 'crème brûlée', 'piñata', 'Øresund', 'smörgåsbord', 'İstanbul', 'ŞİŞLİ', 'Ærø', 'ΣΟΦΟΣ σοφός',
  'Ελληνικά', 'Straße', 'ǅemal', 'ﬁnance', 'Ｆｕｌｌｗｉｄｔｈ', 'ℌ𝔢𝔩𝔩𝔬', '①②③', '½ ¾', 'x²', 'Å', 'ǘ',
];
const COMBINING = [0x300, 0x301, 0x302, 0x303, 0x308, 0x30a, 0x327, 0x316, 0x323, 0x31b, 0x345, 0x35c, 0x20dd, 0x1ab0, 0x1dc0, 0x093c, 0x0e49];
const CJK = [
  '中文分词测试', '東京都渋谷区', 'ひらがなとカタカナ', '한국어 텍스트입니다', '我爱自然语言处理', '漢字かな交じり文',
  '𠀀𠀁𠂉𪚥𫝀𬺰', '粵語：佢哋係邊個？', '「引用」と『二重』', '㐀㐁䶵', '豈更車', '（全角括弧）', '。、・ー',
];
const SCRIPTS = [
  'مرحبا بالعالم', 'שלום עולם', 'Привет, мир!', 'Γειά σου Κόσμε', 'สวัสดีชาวโลก', 'नमस्ते दुनिया', 'ሰላም ዓለም',
  'Բարեւ աշխարհ', 'გამარჯობა', 'ᚠᚢᚦᚨᚱᚲ', 'ꦲꦤꦕꦫꦏ', '𐌰𐌱𐌲', 'Ⰰⰱⰲ', 'ᐊᐃᐅᐊ', 'ꓐꓑꓒ', '𓀀𓀁𓂀',
];
const EMOJI = [
  '😀', '😂', '🥰', '🫠', '👍🏽', '👨‍👩‍👧‍👦', '🏳️‍🌈', '🇫🇷', '🇯🇵', '1️⃣', '#️⃣', '❤️', '✌🏿', '🧑🏻‍💻', '👩‍❤️‍💋‍👨',
  '🐈‍⬛', '☕', '©', '™', '🦄🦄🦄', '🙂‍↕️',
];
const CONTROLS = [
  '\u0000', '\u0001', '\u0008', '\u000b', '\u000c', '\u001f', '\u007f', '\u0085', '\u00ad', '\u200b', '\u200c', '\u200d',
  '\u200e', '\u2028', '\u2029', '\u2060', '\ufeff', '\ufffd', '\ufff9', '\u061c', '\u180e', '\ue000', '\u{f0000}', '\u{e0001}',
  '\u0378', '\u{10ffff}',
];
const SPACES = [' ', '  ', '\t', '\n', '\r\n', '\r', '\u00a0', '\u3000', '\u2003', '\u202f', '\u1680', ' \t \n '];
const PUNCT = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~¡¿«»—–…‘’“”•·§¶†‡※‽⁂、。！？：；〈〉【】';
const SPECIALS = [
  '[CLS]', '[SEP]', '[MASK]', '[PAD]', '[UNK]', '<s>', '</s>', '<mask>', '<pad>', '<unk>', '[cls]', '[Mask]', '[CLS',
  'SEP]', '[[SEP]]', '[MASK][MASK]', '<s></s>', '▁', '<|endoftext|>',
];

function word(r: Rng): string {
  return pick(r, WORDS);
}

function prose(r: Rng): string {
  const n = int(r, 1, 25);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    let w = word(r);
    if (r() < 0.1) w = w[0].toUpperCase() + w.slice(1);
    if (r() < 0.05) w = w.toUpperCase();
    parts.push(w);
    if (r() < 0.15) parts[parts.length - 1] += pick(r, [',', '.', ';', ':', '!', '?', '...']);
  }
  return parts.join(' ');
}

function punctRun(r: Rng): string {
  let s = '';
  const n = int(r, 1, 12);
  for (let i = 0; i < n; i++) s += pick(r, [...PUNCT]);
  return r() < 0.5 ? `${word(r)}${s}${word(r)}` : s;
}

function numberish(r: Rng): string {
  const forms = [
    () => String(int(r, 0, 1e9)),
    () => (r() * 1e4).toFixed(int(r, 0, 6)),
    () => int(r, 1, 999).toLocaleString('en-US') + ',' + String(int(r, 100, 999)),
    () => `${int(r, 1, 12)}/${int(r, 1, 31)}/${int(r, 1900, 2100)}`,
    () => `+1 (${int(r, 200, 999)}) ${int(r, 200, 999)}-${int(r, 1000, 9999)}`,
    () => `${int(r, 0, 100)}% of ${int(r, 1, 50)}km²`,
    () => `v${int(r, 0, 9)}.${int(r, 0, 99)}.${int(r, 0, 999)}-rc${int(r, 1, 5)}`,
    () => `٣٤٥ ১২৩ ௧௨௩ ${int(r, 0, 99)}`,
    () => `0x${int(r, 0, 0xffffff).toString(16)} 1e-${int(r, 1, 30)}`,
  ];
  return pick(r, forms)();
}

function url(r: Rng): string {
  const forms = [
    () => `https://www.${word(r).toLowerCase()}.com/${word(r)}/${int(r, 1, 9999)}?q=${word(r)}&lang=en#section-${int(r, 1, 9)}`,
    () => `http://example.org:${int(r, 80, 9000)}/a_b-c/d.html`,
    () => `mailto:${word(r).toLowerCase()}.${word(r).toLowerCase()}@example.co.uk`,
    () => `ftp://files.example.net/pub/${word(r)}.tar.gz`,
    () => `see https://en.wikipedia.org/wiki/${word(r)}_(disambiguation) for more`,
    () => `@user_${int(r, 1, 999)} #hashtag${int(r, 1, 99)} $AAPL`,
  ];
  return pick(r, forms)();
}

function accents(r: Rng): string {
  const base = pick(r, ACCENTED);
  if (r() < 0.3) return base.normalize('NFD');
  if (r() < 0.3) {
    // letters with random (possibly stacked, out-of-order) combining marks
    let s = '';
    const n = int(r, 1, 8);
    for (let i = 0; i < n; i++) {
      s += pick(r, ['a', 'e', 'o', 'u', 'n', 'c', 'A', 'E', 'ı', 'ø']);
      const m = int(r, 0, 3);
      for (let j = 0; j < m; j++) s += cp(pick(r, COMBINING));
    }
    return s;
  }
  return `${prose(r)} ${base} ${word(r)}`;
}

function cjk(r: Rng): string {
  const s = pick(r, CJK);
  if (r() < 0.3) return s;
  let extra = '';
  const n = int(r, 1, 6);
  for (let i = 0; i < n; i++) {
    extra += cp(pick(r, [int(r, 0x4e00, 0x9fff), int(r, 0x3400, 0x4dbf), int(r, 0x20000, 0x2a6df), int(r, 0x2b740, 0x2b81f), int(r, 0xf900, 0xfaff), int(r, 0x3040, 0x30ff), int(r, 0xac00, 0xd7a3), int(r, 0x2f800, 0x2fa1f)]));
  }
  return `${word(r)}${s}${extra} ${word(r)}`;
}

function emoji(r: Rng): string {
  let s = '';
  const n = int(r, 1, 5);
  for (let i = 0; i < n; i++) s += (r() < 0.5 ? ' ' : '') + pick(r, EMOJI) + (r() < 0.3 ? word(r) : '');
  return s;
}

function controls(r: Rng): string {
  let s = '';
  const n = int(r, 1, 8);
  for (let i = 0; i < n; i++) s += r() < 0.5 ? pick(r, CONTROLS) : r() < 0.5 ? pick(r, SPACES) : word(r);
  return s;
}

function longWord(r: Rng): string {
  const n = int(r, 95, 260);
  let s = '';
  const alpha = r() < 0.7 ? 'abcdefghijklmnopqrstuvwxyz' : 'aéiöuñç';
  for (let i = 0; i < n; i++) s += alpha[int(r, 0, alpha.length - 1)];
  return r() < 0.5 ? s : `${word(r)} ${s} ${word(r)}`;
}

function whitespaceOnly(r: Rng): string {
  if (r() < 0.2) return '';
  let s = '';
  const n = int(r, 1, 6);
  for (let i = 0; i < n; i++) s += pick(r, SPACES);
  return s;
}

function specials(r: Rng): string {
  let s = '';
  const n = int(r, 1, 6);
  for (let i = 0; i < n; i++) {
    const sep = pick(r, ['', ' ', '  ', '\t', '\n']);
    s += (r() < 0.5 ? pick(r, SPECIALS) : word(r)) + sep;
  }
  return s;
}

function scripts(r: Rng): string {
  return `${pick(r, SCRIPTS)}${pick(r, ['', ' ', ', '])}${r() < 0.5 ? word(r) : pick(r, SCRIPTS)}`;
}

function randomCodePoints(r: Rng): string {
  let s = '';
  const n = int(r, 1, 12);
  for (let i = 0; i < n; i++) {
    let c = r() < 0.6 ? int(r, 0x20, 0x2fff) : r() < 0.8 ? int(r, 0x3000, 0xffff) : int(r, 0x10000, 0x10ffff);
    if (c >= 0xd800 && c <= 0xdfff && r() < 0.7) c = 0x41; // keep most strings well formed
    s += c >= 0xd800 && c <= 0xdfff ? String.fromCharCode(c) : cp(c);
  }
  return s;
}

function loneSurrogates(r: Rng): string {
  const parts = [word(r), String.fromCharCode(int(r, 0xd800, 0xdfff)), word(r)];
  if (r() < 0.5) parts.push('\ud83d'); // a high surrogate at the very end
  return parts.join(pick(r, ['', ' ']));
}

function mixed(r: Rng): string {
  const gens = [prose, punctRun, numberish, url, accents, cjk, emoji, controls, specials, scripts];
  let s = '';
  const n = int(r, 2, 6);
  for (let i = 0; i < n; i++) s += pick(r, gens)(r) + pick(r, ['', ' ', '\n', '  ']);
  return s;
}

const GENERATORS: Array<[weight: number, gen: (r: Rng) => string]> = [
  [18, prose], [6, punctRun], [6, numberish], [5, url], [9, accents], [8, cjk], [6, emoji], [7, controls],
  [3, longWord], [3, whitespaceOnly], [8, specials], [6, scripts], [5, randomCodePoints], [1, loneSurrogates], [9, mixed],
];
const TOTAL_WEIGHT = GENERATORS.reduce((a, [w]) => a + w, 0);

function one(r: Rng): string {
  let x = r() * TOTAL_WEIGHT;
  for (const [w, g] of GENERATORS) {
    if ((x -= w) < 0) return g(r);
  }
  return prose(r);
}

/** Hand-picked strings that every parity run includes first. */
export const FIXED_CASES: readonly string[] = [
  '', ' ', '\n', 'Hello, world!', 'Héllo, wörld!', "Don't stop—believing… it's 3.14!", '[CLS] [SEP] [MASK]',
  'a[SEP]b', '[CLS][CLS]', ' [MASK] ', 'x'.repeat(100), 'x'.repeat(101), 'é'.repeat(100), 'e\u0301'.repeat(60),
  '中文字', '𠀀𠀁', '👨‍👩‍👧‍👦', '\u0000\u0001\u200b\ufeff', 'A\tB\nC\r\nD', 'İ', 'ΣΑΣ', 'ﬁ', '<s> </s> <mask> <unk>',
  'hello <mask>', 'hello<mask>world', '\ud800', 'a\udc00b',
];

/**
 * `n` strings (default 20,000) from the seeded generator, starting with FIXED_CASES.
 * The same seed always gives the same corpus.
 */
export function corpus(n = 20000, seed = 20240601): string[] {
  const r = prng(seed);
  const out: string[] = [...FIXED_CASES].slice(0, n);
  while (out.length < n) out.push(one(r));
  return out;
}

/** `n` pairs of strings, about a third long enough to need truncation at 128 tokens. */
export function corpusPairs(n = 2000, seed = 7): Array<[string, string]> {
  const r = prng(seed);
  const out: Array<[string, string]> = [];
  const long = (): string => Array.from({ length: int(r, 5, 30) }, () => one(r)).join(' ');
  while (out.length < n) {
    const k = r();
    out.push(k < 0.33 ? [long(), one(r)] : k < 0.5 ? [one(r), long()] : k < 0.66 ? [long(), long()] : [one(r), one(r)]);
  }
  return out;
}

/** 41 texts of very different lengths (so length-sorting inside each worker reorders them), incl. '' and spaces. */
export function poolTexts(): string[] {
  const words = 'the quick brown fox jumps over a lazy dog while bankers count money by the river bank'.split(' ');
  const out: string[] = ['', '   ', 'A man is eating food.'];
  for (let i = 0; i < 38; i++) {
    const n = 1 + ((i * 7) % 23);
    out.push(Array.from({ length: n }, (_, k) => words[(i + k * 3) % words.length]).join(' ') + (i % 2 ? '.' : ''));
  }
  return out;
}
