/**
 * The q8 scripts' shared workload: n pseudo-random sentences of 5-40 words (mulberry32, seed 12345), the same texts in
 * every script so their figures compare (q8-bench, q8-rss, q8-profile, q8-encode-ab).
 */
export function q8Texts(n: number): string[] {
  let a = 12345;
  const r = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const words = 'the quick brown fox jumps over lazy dog while people walk through city parks and markets selling fresh bread cheese fruit music plays softly in distant cafes where friends meet talk about science history art travel weather sports'.split(' ');
  return Array.from({ length: n }, () => Array.from({ length: 5 + Math.floor(r() * 36) }, () => words[Math.floor(r() * words.length)]).join(' ') + '.');
}

