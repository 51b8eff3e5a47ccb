/**
 * Text formats of the CLI (no I/O here): JSON Lines, plain-text matrices, and splitting input text into lines;
 * and {@link toDense}, the matrix that `.npy` and safetensors outputs are written from (by util/storage.ts's
 * `serializeNpy` and `serializeEmbeddings`, the one writer of each).
 */
import type { DenseMatrix } from '../util/storage.js';

/** Rows of one embedding matrix as `encode` returns them. */
export type EmbeddingRows = Float32Array[] | Int8Array[] | Uint8Array[];

/** Concatenate rows into one row-major array (every row must have the same length). */
export function toDense(rows: EmbeddingRows, colsIfEmpty = 0): DenseMatrix {
  const n = rows.length;
  const cols = n ? rows[0].length : colsIfEmpty;
  const first = rows[0] as Float32Array | Int8Array | Uint8Array | undefined;
  const Ctor = (first?.constructor ?? Float32Array) as Float32ArrayConstructor | Int8ArrayConstructor | Uint8ArrayConstructor;
  const data = new Ctor(n * cols);
  rows.forEach((r, i) => {
    if (r.length !== cols) throw new RangeError(`rows[${i}]: expected ${cols} values, got ${r.length}`);
    data.set(r as ArrayLike<number>, i * cols);
  });
  return { data, rows: n, cols };
}

/**
 * JSON Lines: one `{"index", "text", "embedding"}` object per row, in input order (`index` counts from
 * `firstIndex`, for a block of a longer stream). Float32 values are written as the shortest decimal that reads back
 * to the same float64, which is exactly the float32 value.
 */
export function embeddingsJsonl(texts: readonly string[], rows: EmbeddingRows, firstIndex = 0): string {
  let out = '';
  rows.forEach((r, i) => {
    out += `${JSON.stringify({ index: firstIndex + i, text: texts[i], embedding: Array.from(r as ArrayLike<number>) })}\n`;
  });
  return out;
}

/** A matrix as aligned text, `digits` decimals per value, one row per line. */
export function matrixText(rows: readonly ArrayLike<number>[], digits = 4): string {
  const cells = rows.map((r) => Array.from(r, (v) => v.toFixed(digits)));
  let width = 0;
  for (const row of cells) for (const c of row) width = Math.max(width, c.length);
  return cells.map((r) => r.map((c) => c.padStart(width)).join('  ')).join('\n') + (cells.length ? '\n' : '');
}

/**
 * {@link splitLines} for text that arrives in pieces: `push` returns the lines completed so far, `end` the last
 * one. The lines are exactly those of `splitLines` on the whole text (a BOM at the very start is dropped, `\r\n`
 * and `\n` end lines, a final line ending makes no extra empty line).
 */
export class LineSplitter {
  private rest = '';
  private started = false;

  push(piece: string): string[] {
    let text = this.rest + piece;
    if (!this.started && text !== '') {
      this.started = true;
      if (text.startsWith('\ufeff')) text = text.slice(1);
    }
    const lines = text.split('\n');
    this.rest = lines.pop() ?? '';
    for (let i = 0; i < lines.length; i++) if (lines[i].endsWith('\r')) lines[i] = lines[i].slice(0, -1);
    return lines;
  }

  end(): string[] {
    const last = this.rest;
    this.rest = '';
    return last === '' ? [] : [last];
  }
}

/**
 * Split text into lines, one input text per line: `\n` or `\r\n` ends a line, one final line ending does not make
 * an extra empty text; empty lines in between are kept (so row i is line i + 1).
 */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const body = text.startsWith('\ufeff') ? text.slice(1) : text;
  const lines = body.split(/\r?\n/);
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines;
}
