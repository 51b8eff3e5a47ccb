/**
 * Loads a model's reference outputs (`reference/<name>/reference.{json,safetensors}`, written by
 * sentence-transformers 3.4.1 on PyTorch) for the pooling / SentenceTransformer / CrossEncoder tests.
 */
import { readFileSync } from 'node:fs';
import { SafetensorsFile } from '../../src/formats/safetensors.js';
import { fixture } from './fixtures.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface ModelReference {
  json: Json;
  tensors: SafetensorsFile;
  /** Shape of a stored tensor. */
  shape(name: string): number[];
  /** A 2-D float32 tensor as rows. */
  rows(name: string): Float32Array[];
  /** Any tensor flattened to float32 (int64 tensors are converted to numbers). */
  flat(name: string): Float32Array;
  /** An integer tensor as nested number rows. */
  intRows(name: string): number[][];
}

const cache = new Map<string, ModelReference>();

export function referenceParts(model: string): string[][] {
  return [['reference', model, 'reference.json'], ['reference', model, 'reference.safetensors']];
}

export function loadReference(model: string): ModelReference {
  const hit = cache.get(model);
  if (hit) return hit;
  const json = JSON.parse(readFileSync(fixture('reference', model, 'reference.json'), 'utf8'));
  const tensors = SafetensorsFile.parse(readFileSync(fixture('reference', model, 'reference.safetensors')), `reference/${model}/reference.safetensors`);
  const shape = (name: string) => [...tensors.info(name).shape];
  const flat = (name: string) => tensors.float32(name);
  const rows = (name: string): Float32Array[] => {
    const s = shape(name);
    const data = flat(name);
    const cols = s[s.length - 1];
    const n = data.length / cols;
    return Array.from({ length: n }, (_, i) => data.slice(i * cols, (i + 1) * cols));
  };
  const intRows = (name: string): number[][] => {
    const s = shape(name);
    const typed = tensors.typed(name) as ArrayLike<number | bigint>;
    const cols = s[s.length - 1];
    const out: number[][] = [];
    for (let i = 0; i < typed.length / cols; i++) {
      const r: number[] = [];
      for (let j = 0; j < cols; j++) r.push(Number(typed[i * cols + j]));
      out.push(r);
    }
    return out;
  };
  const ref = { json, tensors, shape, rows, flat, intRows };
  cache.set(model, ref);
  return ref;
}

/** Largest absolute elementwise difference between two lists of rows (throws on shape mismatch). */
export function maxAbsDiff(a: ArrayLike<number>[], b: ArrayLike<number>[]): number {
  if (a.length !== b.length) throw new Error(`row count differs: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i].length !== b[i].length) throw new Error(`row ${i} length differs: ${a[i].length} vs ${b[i].length}`);
    for (let j = 0; j < a[i].length; j++) m = Math.max(m, Math.abs(a[i][j] - b[i][j]));
  }
  return m;
}
