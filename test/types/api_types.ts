/**
 * Type-level tests of the public API's overloads, compiled (never run) by test/types.test.ts with tsc's strict
 * settings: `Equals` checks that a call's type is exactly the expected one, and each `@ts-expect-error` line must
 * fail to compile (tsc reports an unused one as an error).
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { CrossEncoder, CrossEncoderPair, EncodeFn, SentenceTransformer } from '../../src/index.js';

/** true when A and B are the same type (not merely assignable either way). */
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** Compiles only when its argument is `true`. */
function check<T extends true>(): T | undefined {
  return undefined;
}

export async function sentenceTransformerTypes(model: SentenceTransformer): Promise<void> {
  // encode, encodeQuery and encodeDocument share one overloaded type.
  check<Equals<typeof model.encodeQuery, EncodeFn>>();
  check<Equals<typeof model.encodeDocument, EncodeFn>>();
  check<Equals<typeof model.encode, EncodeFn>>();

  for (const fn of [model.encode.bind(model), model.encodeQuery, model.encodeDocument] as const) {
    const one = await fn('a query');
    check<Equals<typeof one, Float32Array>>();
    const rows = await fn(['a', 'b']);
    check<Equals<typeof rows, Float32Array[]>>();
    const int8 = await fn(['a'], { precision: 'int8' });
    check<Equals<typeof int8, Int8Array[]>>();
    const ubin = await fn('a', { precision: 'ubinary' });
    check<Equals<typeof ubin, Uint8Array>>();
    const tokens = await fn(['a'], { outputValue: 'token_embeddings' });
    check<Equals<typeof tokens, Float32Array[][]>>();
    const tensor = await fn(['a'], { convertToTensor: true });
    check<Equals<typeof tensor, tf.Tensor>>();
    // @ts-expect-error a number is not a text
    await fn(42);
    // @ts-expect-error an unknown precision
    await fn('a', { precision: 'float16' });
  }
  // The query/document prompts are still overridable.
  const q = await model.encodeQuery('x', { promptName: 'query', normalizeEmbeddings: true });
  check<Equals<typeof q, Float32Array>>();
}

export async function crossEncoderTypes(ce: CrossEncoder, pairs: CrossEncoderPair[]): Promise<void> {
  const one = await ce.predict(['query', 'passage']);
  check<Equals<typeof one, number | number[]>>();
  const many = await ce.predict(pairs);
  check<Equals<typeof many, number[] | number[][]>>();
  const literal = await ce.predict([['q', 'a'], ['q', 'b']]);
  check<Equals<typeof literal, number[] | number[][]>>();
  const t1 = await ce.predict(['q', 'a'], { convertToTensor: true });
  check<Equals<typeof t1, tf.Scalar | tf.Tensor1D>>();
  const t2 = await ce.predict(pairs, { convertToTensor: true, batchSize: 8 });
  check<Equals<typeof t2, tf.Tensor1D | tf.Tensor2D>>();
  const dynamic = await ce.predict(pairs, { convertToTensor: Math.random() > 0.5 });
  check<Equals<typeof dynamic, number | number[] | number[][] | tf.Tensor>>();
  // @ts-expect-error a pair has two texts
  await ce.predict(['only one']);
  // @ts-expect-error texts, not numbers
  await ce.predict([[1, 2]]);
  const ranked = await ce.rank('q', ['a', 'b'], { topK: 1 });
  check<Equals<(typeof ranked)[number]['score'], number>>();
}
