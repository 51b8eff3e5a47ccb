/**
 * Rewriting a JSON object file without re-serializing its values: JavaScript's JSON.parse forgets whether a number
 * was written `2.0` or `2`, and Python's strict config classes (transformers 5, huggingface_hub dataclasses) reject
 * an int where a float field is declared (`initializer_cutoff_factor`, `rope_theta`, ...). So a saved config.json
 * keeps each top-level value's source text; only the keys the save changes are written anew.
 */

/** The top-level members of a JSON object text, each value as its exact source text, in source order. */
function topLevelMembers(text: string, source: string): [string, string][] {
  let i = 0;
  const n = text.length;
  const fail = (what: string): never => {
    throw new SyntaxError(`${source}: ${what} at offset ${i}`);
  };
  const ws = () => {
    while (i < n && ' \t\n\r'.includes(text[i])) i++;
  };
  const stringEnd = (start: number): number => {
    let j = start + 1;
    while (j < n && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
    if (j >= n) fail('unterminated string');
    return j + 1;
  };
  const valueEnd = (start: number): number => {
    if (text[start] === '"') return stringEnd(start);
    if (text[start] === '{' || text[start] === '[') {
      let depth = 0;
      let j = start;
      while (j < n) {
        const c = text[j];
        if (c === '"') {
          j = stringEnd(j);
          continue;
        }
        if (c === '{' || c === '[') depth++;
        else if (c === '}' || c === ']') {
          depth--;
          if (depth === 0) return j + 1;
        }
        j++;
      }
      return fail('unterminated object or array');
    }
    let j = start;
    while (j < n && !',}] \t\n\r'.includes(text[j])) j++;
    if (j === start) fail('missing value');
    return j;
  };
  ws();
  if (text[i] !== '{') fail('expected a JSON object');
  i++;
  const out: [string, string][] = [];
  ws();
  if (text[i] === '}') return out;
  for (;;) {
    ws();
    if (text[i] !== '"') fail('expected a key');
    const keyEnd = stringEnd(i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    i = keyEnd;
    ws();
    if (text[i] !== ':') fail("expected ':'");
    i++;
    ws();
    const end = valueEnd(i);
    out.push([key, text.slice(i, end)]);
    i = end;
    ws();
    if (text[i] === ',') {
      i++;
      continue;
    }
    if (text[i] === '}') return out;
    fail("expected ',' or '}'");
  }
}

/**
 * The JSON object `text` with the top-level keys of `changes` set (a value of `undefined` removes the key), the other
 * values kept as written, keys sorted (as transformers writes config.json). The result parses to the same values as
 * applying `changes` to `JSON.parse(text)`.
 */
export function rewriteJsonObject(text: string, changes: Readonly<Record<string, unknown>>, source = 'JSON'): string {
  const members = new Map(topLevelMembers(text, source));
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) members.delete(k);
    else members.set(k, JSON.stringify(v, null, 2).replace(/\n/g, '\n  '));
  }
  const keys = [...members.keys()].sort(); // spread-ok: the keys of one config object
  return `{\n${keys.map((k) => `  ${JSON.stringify(k)}: ${members.get(k)}`).join(',\n')}\n}\n`;
}
