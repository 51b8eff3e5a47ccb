/**
 * Loads a model's reference outputs for the pooling / SentenceTransformer / CrossEncoder tests:
 * `reference/<name>/reference.{json,safetensors}` (sentence-transformers 3.4.1 on PyTorch: hidden states, probes,
 * 3.4.1's stripped inputs) and `reference/st6/<name>.{json,safetensors}` (6.0.1: what the library follows now).
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

/** The fixture parts of a model's sentence-transformers 6.0.1 reference (`reference/st6/<model>.*`). */
export function st6Parts(model: string): string[][] {
  return [['reference', 'st6', `${model}.json`], ['reference', 'st6', `${model}.safetensors`]];
}

/** A model's 3.4.1 reference (`reference/<model>/reference.*`). */
export function loadReference(model: string): ModelReference {
  return loadFiles(model, ['reference', model, 'reference.json'], ['reference', model, 'reference.safetensors']);
}

/** A model's 6.0.1 reference (`reference/st6/<model>.*`, see the fixtures README "sentence-transformers 6.0.1 versus 3.4.1"). */
export function loadSt6Reference(model: string): ModelReference {
  return loadFiles(`st6:${model}`, ...(st6Parts(model) as [string[], string[]]));
}

function loadFiles(key: string, jsonPath: string[], tensorPath: string[]): ModelReference {
  const hit = cache.get(key);
  if (hit) return hit;
  const json = JSON.parse(readFileSync(fixture(...jsonPath), 'utf8'));
  const tensors = SafetensorsFile.parse(readFileSync(fixture(...tensorPath)), tensorPath.join('/'));
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
  cache.set(key, ref);
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
