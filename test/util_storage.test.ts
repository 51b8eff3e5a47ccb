import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture, requireFixtures } from './helpers/fixtures.js';
import { randomRows } from './helpers/util_random.js';
import { loadEmbeddings, loadNpy, saveEmbeddings, saveNpy } from '../src/platform/embeddings_fs.js';
import { deserializeEmbeddings, parseNpy, quantizeEmbeddings, quantizeEmbeddingsMatrix, serializeEmbeddings, serializeNpy } from '../src/util/index.js';

/** The fixtures' Python shim (a pure-Python `safetensors.numpy`), so the interop test needs numpy only. */
const PYSHIM_PARTS = ['generate', 'pyshim'];
const PYSHIM = fixture(...PYSHIM_PARTS);

/** python3 with numpy, or null (the interop tests then skip with a message). */
function pythonWithNumpy(): string | null {
  for (const py of ['python3', '/usr/bin/python3']) {
    try {
      execFileSync(py, ['-c', 'import numpy'], { stdio: 'ignore' });
      return py;
    } catch {
      /* try the next one */
    }
  }
  return null;
}

describe('util embedding storage', () => {
  const sentences = ['first', 'second "quoted"', 'ünïcödé 🤗', ''];
  const E = randomRows(4, 16, 21);

  it('safetensors bytes round-trip float32 embeddings, sentences and metadata', () => {
    const bytes = serializeEmbeddings({ embeddings: E, sentences, metadata: { model: 'tiny-bert' } });
    const back = deserializeEmbeddings(bytes);
    assert.equal(back.dtype, 'F32');
    assert.deepEqual(back.shape, [4, 16]);
    assert.deepEqual(back.rows, E);
    assert.deepEqual(back.sentences, sentences);
    assert.deepEqual(back.metadata, { model: 'tiny-bert' });
  });

  it('quantized rows are stored as I8 / U8 and come back with the same dtype and bytes', () => {
    for (const precision of ['int8', 'uint8', 'binary', 'ubinary'] as const) {
      const q = quantizeEmbeddings(E, precision, { ranges: [new Float32Array(16).fill(-3), new Float32Array(16).fill(3)] });
      const back = deserializeEmbeddings(serializeEmbeddings({ embeddings: q }));
      assert.equal(back.dtype, precision === 'int8' || precision === 'binary' ? 'I8' : 'U8', precision);
      assert.deepEqual(back.rows, q, precision);
      assert.equal(back.sentences, undefined);
      const m = quantizeEmbeddingsMatrix(E, precision, { ranges: [new Float32Array(16).fill(-3), new Float32Array(16).fill(3)] });
      assert.deepEqual(deserializeEmbeddings(serializeEmbeddings({ embeddings: m })).data, m.data);
    }
  });

  it('.npy bytes round-trip float32, int8 and uint8 with a 64-byte aligned v1.0 header', () => {
    const npy = serializeNpy(E);
    assert.deepEqual([...npy.subarray(0, 6)], [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY
    assert.deepEqual([npy[6], npy[7]], [1, 0]);
    const headerLen = npy[8] | (npy[9] << 8);
    assert.equal((10 + headerLen) % 64, 0);
    assert.match(new TextDecoder().decode(npy.subarray(10, 10 + headerLen)), /^\{'descr': '<f4', 'fortran_order': False, 'shape': \(4, 16\), \} *\n$/);
    assert.deepEqual(parseNpy(npy).rows, E);
    const i8 = quantizeEmbeddings(E, 'binary');
    assert.deepEqual(parseNpy(serializeNpy(i8)).rows, i8);
    const u8 = quantizeEmbeddings(E, 'ubinary');
    const back = parseNpy(serializeNpy(u8));
    assert.equal(back.dtype, 'U8');
    assert.deepEqual(back.rows, u8);
  });

  it('rejects fortran-ordered and big-endian .npy files, and mismatched sentences, with clear errors', () => {
    const npy = serializeNpy(E);
    // Bytes to a string one char per byte (TextDecoder('latin1') is windows-1252 in Node >= 22: 0x93 becomes U+201C).
    const text = Array.from(npy, (b) => String.fromCharCode(b)).join('');
    const enc = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
    assert.throws(() => parseNpy(enc(text.replace("'fortran_order': False", "'fortran_order': True "))), /fortran_order True is not supported/);
    assert.throws(() => parseNpy(enc(text.replace("'<f4'", "'>f4'"))), /unsupported dtype ">f4".*big-endian/);
    assert.throws(() => parseNpy(new Uint8Array(20)), /not a \.npy file/);
    assert.throws(() => serializeEmbeddings({ embeddings: E, sentences: ['a'] }), /1 sentences for 4 embeddings \(shape \[4, 16\]\)/);
    assert.throws(() => serializeEmbeddings({ embeddings: E, metadata: { sentences: 'x' } }), /"sentences" is reserved/);
  });

  it('Node file helpers save and load safetensors and .npy files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'st-emb-'));
    try {
      await saveEmbeddings(join(dir, 'sub', 'e.safetensors'), { embeddings: E, sentences });
      const back = await loadEmbeddings(join(dir, 'sub', 'e.safetensors'));
      assert.deepEqual(back.rows, E);
      assert.deepEqual(back.sentences, sentences);
      await saveNpy(join(dir, 'e.npy'), E);
      assert.deepEqual((await loadNpy(join(dir, 'e.npy'))).rows, E);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('interoperates with Python numpy and safetensors', function () {
    let py: string | null = null;
    let dir = '';
    before(function () {
      requireFixtures(this, PYSHIM_PARTS);
      py = pythonWithNumpy();
      if (!py) {
        console.warn('  [skip] python3 with numpy not found: Python interop tests skipped');
        this.skip();
      }
      dir = mkdtempSync(join(tmpdir(), 'st-emb-py-'));
    });
    after(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('numpy reads our .npy and safetensors files (values, dtypes, sentences) and we read numpy-written ones', async () => {
      const q8 = quantizeEmbeddings(E, 'int8', { ranges: [new Float32Array(16).fill(-3), new Float32Array(16).fill(3)] });
      const ub = quantizeEmbeddings(E, 'ubinary');
      await saveNpy(join(dir, 'f32.npy'), E);
      await saveNpy(join(dir, 'i8.npy'), q8);
      await saveNpy(join(dir, 'u8.npy'), ub);
      await saveEmbeddings(join(dir, 'f32.safetensors'), { embeddings: E, sentences, metadata: { note: 'x' } });
      await saveEmbeddings(join(dir, 'u8.safetensors'), { embeddings: ub });
      writeFileSync(
        join(dir, 'expected.json'),
        JSON.stringify({ f32: E.map((r) => Array.from(r)), i8: q8.map((r) => Array.from(r)), u8: ub.map((r) => Array.from(r)), sentences }),
      );
      const script = `
import sys, json
import numpy as np
sys.path.insert(0, ${JSON.stringify(PYSHIM)})
from safetensors.numpy import load_file, save_file
from safetensors import safe_open
d = sys.argv[1]
exp = json.load(open(d + '/expected.json', encoding='utf-8'))
a = np.load(d + '/f32.npy'); assert a.dtype == np.float32 and a.shape == (4, 16), (a.dtype, a.shape)
assert np.array_equal(a, np.array(exp['f32'], dtype=np.float32))
b = np.load(d + '/i8.npy'); assert b.dtype == np.int8 and np.array_equal(b, np.array(exp['i8'], dtype=np.int8))
c = np.load(d + '/u8.npy'); assert c.dtype == np.uint8 and np.array_equal(c, np.array(exp['u8'], dtype=np.uint8))
t = load_file(d + '/f32.safetensors')
assert list(t) == ['embeddings'] and t['embeddings'].dtype == np.float32 and np.array_equal(t['embeddings'], a)
with safe_open(d + '/f32.safetensors', 'np') as f:
    md = f.metadata()
assert json.loads(md['sentences']) == exp['sentences'] and md['note'] == 'x', md
u = load_file(d + '/u8.safetensors')['embeddings']; assert u.dtype == np.uint8 and np.array_equal(u, c)
# numpy-written files for the reverse direction
np.save(d + '/np_f32.npy', a * 2)
np.save(d + '/np_u8.npy', c)
np.save(d + '/np_f64_1d.npy', a[0].astype(np.float64))
save_file({'embeddings': b}, d + '/py_i8.safetensors', metadata={'sentences': json.dumps(exp['sentences']), 'k': 'v'})
print('ok')
`;
      const out = execFileSync(py!, ['-c', script, dir], { encoding: 'utf8' });
      assert.equal(out.trim(), 'ok');
      const f = await loadNpy(join(dir, 'np_f32.npy'));
      assert.deepEqual(f.rows, E.map((r) => r.map((v) => v * 2)));
      assert.deepEqual((await loadNpy(join(dir, 'np_u8.npy'))).rows, ub);
      const one = await loadNpy(join(dir, 'np_f64_1d.npy'));
      assert.deepEqual([one.dtype, one.shape], ['F32', [16]]);
      assert.deepEqual(one.rows, [E[0]]);
      const s = await loadEmbeddings(join(dir, 'py_i8.safetensors'));
      assert.equal(s.dtype, 'I8');
      assert.deepEqual(s.rows, q8);
      assert.deepEqual(s.sentences, sentences);
      assert.deepEqual(s.metadata, { k: 'v' });
      assert.ok(readFileSync(join(dir, 'py_i8.safetensors')).length > 0);
    });
  });
});
