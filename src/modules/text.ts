/**
 * Python string semantics the pipeline depends on: `str.strip()` (Python's whitespace, not JS `trim()`)
 * and `len(str)` (code points, not UTF-16 units).
 *
 * Python's `str.strip()` removes characters for which `str.isspace()` is true: Unicode White_Space plus the
 * information separators U+001C..U+001F. JS `trim()` keeps U+001C..U+001F and U+0085 differently, so it is not used.
 */

/** Characters that Python's `str.isspace()` accepts (CPython `_PyUnicode_IsWhitespace`). */
const PY_WHITESPACE = '\\t\\n\\u000b\\f\\r\\u001c-\\u001f \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const LEADING = new RegExp(`^[${PY_WHITESPACE}]+`);
const TRAILING = new RegExp(`[${PY_WHITESPACE}]+$`);

/** Python `str.strip()` with no argument. */
export function pyStrip(s: string): string {
  return s.replace(LEADING, '').replace(TRAILING, '');
}

/** Whether `ch` (one code point) is whitespace for Python's `str.isspace()`. */
function pyIsSpace(ch: string): boolean {
  return ch.length > 0 && pyStrip(ch) === '';
}

/** Python `len(s)`: the number of code points (a surrogate pair counts once). */
export function codePointLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}
