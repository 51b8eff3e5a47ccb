/**
 * Loads the shared util reference (`reference/util/reference.{json,safetensors}`, written by
 * sentence-transformers 3.4.1) for the util tests, and resolves the input expressions the JSON uses
 * ("inputs.corpus[:5]", "inputs.tiny_bert_embeddings[[0, 2, 15]]").
 */
import { readFileSync } from 'node:fs';
import { SafetensorsFile } from '../../src/formats/safetensors.js';
import { fixture } from './fixtures.js';

export const UTIL_REFERENCE_PARTS = ['reference', 'util', 'reference.json'];
export const UTIL_TENSORS_PARTS = ['reference', 'util', 'reference.safetensors'];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface UtilReference {
  json: Json;
  tensors: SafetensorsFile;
  /** A float32 tensor as rows. */
  rows(name: string): Float32Array[];
  /** Resolve an input expression such as "inputs.corpus[:5]" or "inputs.tiny_bert_embeddings[[0, 2]]". */
  input(expr: string): Float32Array[];
}

let cached: UtilReference | null = null;

export function loadUtilReference(): UtilReference {
  if (cached) return cached;
  const json = JSON.parse(readFileSync(fixture(...UTIL_REFERENCE_PARTS), 'utf8'));
  const tensors = SafetensorsFile.parse(readFileSync(fixture(...UTIL_TENSORS_PARTS)), 'reference/util/reference.safetensors');
  const rows = (name: string): Float32Array[] => {
    const info = tensors.info(name);
    const data = tensors.float32(name);
    const cols = info.shape.length === 2 ? info.shape[1] : info.shape[0];
    const n = info.shape.length === 2 ? info.shape[0] : 1;
    return Array.from({ length: n }, (_, i) => data.slice(i * cols, (i + 1) * cols));
  };
  const input = (expr: string): Float32Array[] => {
    const m = /^(inputs\.[a-z_]+)(.*)$/.exec(expr.trim());
    if (!m) throw new Error(`cannot resolve input expression ${expr}`);
    const all = rows(m[1]);
    const rest = m[2].trim();
    if (rest === '') return all;
    let s: RegExpExecArray | null;
    if ((s = /^\[(\d*):(\d*)\]$/.exec(rest))) {
      return all.slice(s[1] ? Number(s[1]) : 0, s[2] ? Number(s[2]) : all.length);
    }
    if ((s = /^\[\[([\d,\s]+)\]\]$/.exec(rest))) return s[1].split(',').map((v) => all[Number(v)]);
    if ((s = /^\[(\d+)\]$/.exec(rest))) return [all[Number(s[1])]];
    throw new Error(`cannot resolve input expression ${expr}`);
  };
  cached = { json, tensors, rows, input };
  return cached;
}
