/*
 * sentence-tfjs wasm SIMD kernels: fused self-attention, exact-erf GELU, residual + LayerNorm, embedding rows.
 *
 * Built by `npm run build:kernels` (clang --target=wasm32 -msimd128) into src/kernels/wasm_kernels_binary.ts, also
 * with -mrelaxed-simd -DSTFJS_RELAXED (products accumulated with relaxed_madd) for runtimes that have relaxed SIMD.
 * The module imports tfjs-backend-wasm's own linear memory (`env.memory`) and works in place on its tensors:
 * every pointer below is a byte offset into that heap. It has no data segment and no shadow stack (all locals
 * live in wasm locals; the build checks this), so it never writes outside the buffers it is given.
 *
 * Numerics follow PyTorch's float32 definitions (HF BertSelfAttention, F.gelu, F.layer_norm); reductions run
 * in a fixed order that depends only on a row's own valid length, so a text embeds bit-identically alone and
 * in a padded batch.
 */
#include <stdint.h>
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))
#define INLINE static inline __attribute__((always_inline))

typedef float f32;

INLINE v128_t vsplat(f32 x) { return wasm_f32x4_splat(x); }

#ifdef STFJS_RELAXED
/* acc + a * b with relaxed SIMD's madd: one fused rounding where the CPU has FMA (about 1.3x the GEMM here). */
#define MADD(acc, a, b) __builtin_wasm_relaxed_madd_f32x4((a), (b), (acc))
#else
#define MADD(acc, a, b) wasm_f32x4_add((acc), wasm_f32x4_mul((a), (b)))
#endif

INLINE f32 hsum(v128_t v) {
  /* ((l0 + l1) + (l2 + l3)): a fixed order. */
  return (wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1)) +
         (wasm_f32x4_extract_lane(v, 2) + wasm_f32x4_extract_lane(v, 3));
}

/*
 * expf on four lanes (Cephes' range reduction, rounding x / ln2 to nearest, + degree-5 polynomial; about 1 ulp
 * on [-87, 88]).
 * Inputs below -87.3 give about 1e-38 instead of a denormal, which no sum here can tell apart.
 */
INLINE v128_t vexp(v128_t x) {
  /* pmin / pmax (one minps / maxps on x64; f32x4.min / max take several instructions for NaN and -0 rules): the
     same clamps for every non-NaN x, and a NaN still goes through. */
  x = wasm_f32x4_pmin(x, vsplat(88.3762626647949f));
  x = wasm_f32x4_pmax(x, vsplat(-87.3365447504f));
  /* n = round(x / ln2) by the 1.5 * 2^23 trick (cheaper than floor + trunc_sat on x64); the integer is in the
     low mantissa bits of t. */
  v128_t t = wasm_f32x4_add(wasm_f32x4_mul(x, vsplat(1.44269504088896341f)), vsplat(12582912.0f));
  v128_t fx = wasm_f32x4_sub(t, vsplat(12582912.0f));
  x = wasm_f32x4_sub(x, wasm_f32x4_mul(fx, vsplat(0.693359375f)));
  x = wasm_f32x4_sub(x, wasm_f32x4_mul(fx, vsplat(-2.12194440e-4f)));
  v128_t z = wasm_f32x4_mul(x, x);
  v128_t y = vsplat(1.9875691500e-4f);
  y = wasm_f32x4_add(wasm_f32x4_mul(y, x), vsplat(1.3981999507e-3f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, x), vsplat(8.3334519073e-3f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, x), vsplat(4.1665795894e-2f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, x), vsplat(1.6666665459e-1f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, x), vsplat(5.0000001201e-1f));
  y = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(y, z), x), vsplat(1.0f));
  /* 2^n: (bits(t) - bits(1.5 * 2^23)) + 127 in the exponent field. */
  v128_t n = wasm_i32x4_sub(t, wasm_i32x4_splat(0x4B400000));
  v128_t pow2n = wasm_i32x4_shl(wasm_i32x4_add(n, wasm_i32x4_splat(127)), 23);
  return wasm_f32x4_mul(y, pow2n);
}

/*
 * 2^x on four lanes for x <= 0 (softmax's exp(s - max) with log2(e) folded into the scale): x = n + r, n the
 * nearest integer, r in [-1/2, 1/2] exact, 2^r by a degree-6 polynomial (a relative least-squares fit; under
 * 1e-7 relative, float32 evaluation included), 2^n in the exponent field. Below -126 gives 2^-126 (no denormals).
 */
INLINE v128_t vexp2_neg(v128_t x) {
  /* pmax (x < -126 ? -126 : x; one maxps on x64) equals f32x4.max here for every input: the operands never tie
     (-126 is not a zero) and a NaN x is the first operand, so it still goes through. */
  x = wasm_f32x4_pmax(x, vsplat(-126.0f));
  v128_t t = wasm_f32x4_add(x, vsplat(12582912.0f));
  v128_t r = wasm_f32x4_sub(x, wasm_f32x4_sub(t, vsplat(12582912.0f)));
  v128_t y = vsplat(1.5345806605182588e-4f);
  y = wasm_f32x4_add(wasm_f32x4_mul(y, r), vsplat(1.3399930903688073e-3f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, r), vsplat(9.618489071726799e-3f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, r), vsplat(5.550328642129898e-2f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, r), vsplat(2.4022646248340607e-1f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, r), vsplat(6.931471824645996e-1f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, r), vsplat(1.0f));
  v128_t n = wasm_i32x4_sub(t, wasm_i32x4_splat(0x4B400000));
  return wasm_f32x4_mul(y, wasm_i32x4_shl(wasm_i32x4_add(n, wasm_i32x4_splat(127)), 23));
}

/* acc * x + c: MADD, so one fused rounding in the relaxed build where the CPU has FMA (GELU about 1.25x faster). */
INLINE v128_t vpoly_step(v128_t acc, v128_t x, f32 c) { return MADD(vsplat(c), acc, x); }

/* a where mask (all-ones or all-zeros lanes, from a comparison) else b. */
INLINE v128_t vsel(v128_t a, v128_t b, v128_t mask) {
#ifdef STFJS_RELAXED
  return __builtin_wasm_relaxed_laneselect_i32x4(a, b, mask);
#else
  return wasm_v128_bitselect(a, b, mask);
#endif
}

/* Horner step acc * x + (mask ? ca : cb). */
INLINE v128_t vpoly_sel(v128_t acc, v128_t x, v128_t mask, f32 ca, f32 cb) {
  return MADD(vsel(vsplat(ca), vsplat(cb), mask), acc, x);
}

/*
 * 1 + erf(z) on four lanes, accurate relative to its value also where erf(z) is near -1:
 *  - z >= -1: the rational erf of XLA and Eigen for float32 (x clamped to [-4, 4], odd degree-13 polynomial
 *    over even degree-8; a few 1e-8 absolute), plus one;
 *  - z < -1: 1 + erf(z) = erfc(-z) = exp(-z^2) / |z| * P(1/z^2) (|z| < 2) or R(1/z^2), Cephes' float erfc
 *    (the coefficients XLA uses), so the tail does not cancel.
 * one_plus_erf evaluates the erfc branch (erfc_neg_tail) only for vectors with such a lane.
 */
INLINE v128_t one_plus_erf_head(v128_t z) {
  /* Only the upper clamp at 4 (pmin, as in vexp): lanes below -1 take the erfc branch, where the head is discarded. */
  v128_t x = wasm_f32x4_pmin(z, vsplat(4.0f));
  v128_t x2 = wasm_f32x4_mul(x, x);
  v128_t p = vpoly_step(vsplat(-2.72614225801306e-10f), x2, 2.77068142495902e-08f);
  p = vpoly_step(p, x2, -2.10102402082508e-06f);
  p = vpoly_step(p, x2, -5.69250639462346e-05f);
  p = vpoly_step(p, x2, -7.34990630326855e-04f);
  p = vpoly_step(p, x2, -2.95459980854025e-03f);
  p = vpoly_step(p, x2, -1.60960333262415e-02f);
  v128_t q = vpoly_step(vsplat(-1.45660718464996e-05f), x2, -2.13374055278905e-04f);
  q = vpoly_step(q, x2, -1.68282697438203e-03f);
  q = vpoly_step(q, x2, -7.37332916720468e-03f);
  q = vpoly_step(q, x2, -1.42647390514189e-02f);
  return wasm_f32x4_add(vsplat(1.0f), wasm_f32x4_div(wasm_f32x4_mul(x, p), q));
}

/* erfc(-z) for z < -1 (other lanes: garbage, finite). */
INLINE v128_t erfc_neg_tail(v128_t z) {
  v128_t az = wasm_f32x4_abs(z); /* above 1 on the lanes kept (others may give inf or NaN, discarded) */
  v128_t z2 = wasm_f32x4_mul(az, az);
  v128_t r1 = wasm_f32x4_div(vsplat(1.0f), az);
  v128_t y = wasm_f32x4_mul(r1, r1);
  /* One Horner chain with per-lane coefficients (P for |z| < 2, R padded with a leading zero, which is exact):
     the same values as evaluating both and selecting, for about half the arithmetic. */
  v128_t near = wasm_f32x4_lt(az, vsplat(2.0f));
  v128_t poly = vsel(vsplat(2.326819970068386e-2f), vsplat(0.0f), near);
  poly = vpoly_sel(poly, y, near, -1.387039388740657e-1f, -1.047766399936249e+1f);
  poly = vpoly_sel(poly, y, near, 3.687424674597105e-1f, 1.297719955372516e+1f);
  poly = vpoly_sel(poly, y, near, -5.824733027278666e-1f, -7.495518717768503e+0f);
  poly = vpoly_sel(poly, y, near, 6.210004621745983e-1f, 2.921019019210786e+0f);
  poly = vpoly_sel(poly, y, near, -4.944515323274145e-1f, -1.015265279202700e+0f);
  poly = vpoly_sel(poly, y, near, 3.404879937665872e-1f, 4.218463358204948e-1f);
  poly = vpoly_sel(poly, y, near, -2.741127028184656e-1f, -2.820767439740514e-1f);
  poly = vpoly_sel(poly, y, near, 5.638259427386472e-1f, 5.641895067754075e-1f);
  return wasm_f32x4_mul(wasm_f32x4_mul(vexp(wasm_f32x4_neg(z2)), r1), poly);
}

INLINE v128_t one_plus_erf(v128_t z) {
  v128_t head = one_plus_erf_head(z);
  v128_t is_tail = wasm_f32x4_lt(z, vsplat(-1.0f));
  if (!wasm_v128_any_true(is_tail)) return head;
  return vsel(erfc_neg_tail(z), head, is_tail);
}

INLINE v128_t vgelu(v128_t v) {
  return wasm_f32x4_mul(wasm_f32x4_mul(v, vsplat(0.5f)), one_plus_erf(wasm_f32x4_mul(v, vsplat(0.70710678118654752f))));
}

/* torch F.gelu (approximate='none'): x * 0.5 * (1 + erf(x / sqrt(2))), n floats, in place allowed. */
EXPORT(gelu_erf)
void gelu_erf(const f32* x, f32* out, int32_t n) {
  int32_t i = 0;
  /* Four independent vectors per step, so the polynomial chains overlap. */
  for (; i + 16 <= n; i += 16) {
    v128_t a = wasm_v128_load(x + i), b = wasm_v128_load(x + i + 4), c = wasm_v128_load(x + i + 8), d = wasm_v128_load(x + i + 12);
    wasm_v128_store(out + i, vgelu(a));
    wasm_v128_store(out + i + 4, vgelu(b));
    wasm_v128_store(out + i + 8, vgelu(c));
    wasm_v128_store(out + i + 12, vgelu(d));
  }
  for (; i + 4 <= n; i += 4) wasm_v128_store(out + i, vgelu(wasm_v128_load(x + i)));
  for (; i < n; i++) out[i] = wasm_f32x4_extract_lane(vgelu(vsplat(x[i])), 0);
}

/* Sum of n floats as four lane sums (then l0+l1 + l2+l3) plus a sequential tail: fixed order for a given n. */
INLINE f32 row_sum(const f32* x, int32_t n) {
  v128_t acc = wasm_f32x4_splat(0.0f);
  int32_t i = 0;
  for (; i + 4 <= n; i += 4) acc = wasm_f32x4_add(acc, wasm_v128_load(x + i));
  f32 s = hsum(acc);
  for (; i < n; i++) s += x[i];
  return s;
}

/*
 * out = LayerNorm(x + residual) over rows of h floats (biased variance, eps inside the square root), as
 * torch F.layer_norm: (v - mean) * rsqrt(var + eps) * gamma + beta. residual may be 0 (plain LayerNorm).
 * out may alias x. scratch: h floats.
 */
EXPORT(add_layer_norm)
void add_layer_norm(const f32* x, const f32* residual, const f32* gamma, const f32* beta, f32* out, f32* scratch,
                    int32_t rows, int32_t h, f32 eps) {
  for (int32_t r = 0; r < rows; r++) {
    const f32* xr = x + (int64_t)r * h;
    f32* o = out + (int64_t)r * h;
    f32* s = scratch;
    if (residual) {
      const f32* rr = residual + (int64_t)r * h;
      int32_t i = 0;
      for (; i + 4 <= h; i += 4) wasm_v128_store(s + i, wasm_f32x4_add(wasm_v128_load(xr + i), wasm_v128_load(rr + i)));
      for (; i < h; i++) s[i] = xr[i] + rr[i];
    } else {
      for (int32_t i = 0; i < h; i++) s[i] = xr[i];
    }
    f32 mean = row_sum(s, h) / (f32)h;
    v128_t vm = vsplat(mean);
    v128_t acc = wasm_f32x4_splat(0.0f);
    int32_t i = 0;
    for (; i + 4 <= h; i += 4) {
      v128_t c = wasm_f32x4_sub(wasm_v128_load(s + i), vm);
      wasm_v128_store(s + i, c);
      acc = wasm_f32x4_add(acc, wasm_f32x4_mul(c, c));
    }
    f32 var = hsum(acc);
    for (; i < h; i++) {
      s[i] -= mean;
      var += s[i] * s[i];
    }
    var /= (f32)h;
    f32 rstd = 1.0f / __builtin_sqrtf(var + eps);
    v128_t vr = vsplat(rstd);
    i = 0;
    for (; i + 4 <= h; i += 4) {
      v128_t n = wasm_f32x4_mul(wasm_v128_load(s + i), vr);
      wasm_v128_store(o + i, wasm_f32x4_add(wasm_f32x4_mul(n, wasm_v128_load(gamma + i)), wasm_v128_load(beta + i)));
    }
    for (; i < h; i++) o[i] = s[i] * rstd * gamma[i] + beta[i];
  }
}

/*
 * The 4x8 micro-kernel of the dense GEMM and of attention's two products (scores = q Kt, context = p V): for
 * four rows r, acc[2r] and acc[2r + 1] (columns 0-3 and 4-7) += sum over k < kn of a_r[k] * b[k * ldb + 0..8),
 * in k order, so each output depends only on its own row's data (never on M, T or the other rows).
 */
INLINE void tile_4x8(v128_t acc[8], const f32* a0, const f32* a1, const f32* a2, const f32* a3, const f32* b, int32_t ldb, int32_t kn) {
  v128_t x00 = acc[0], x01 = acc[1], x10 = acc[2], x11 = acc[3], x20 = acc[4], x21 = acc[5], x30 = acc[6], x31 = acc[7];
  for (int32_t k = 0; k < kn; k++, b += ldb) {
    v128_t b0 = wasm_v128_load(b), b1 = wasm_v128_load(b + 4);
    v128_t s0 = wasm_v128_load32_splat(a0 + k);
    v128_t s1 = wasm_v128_load32_splat(a1 + k);
    v128_t s2 = wasm_v128_load32_splat(a2 + k);
    v128_t s3 = wasm_v128_load32_splat(a3 + k);
    x00 = MADD(x00, s0, b0);
    x01 = MADD(x01, s0, b1);
    x10 = MADD(x10, s1, b0);
    x11 = MADD(x11, s1, b1);
    x20 = MADD(x20, s2, b0);
    x21 = MADD(x21, s2, b1);
    x30 = MADD(x30, s3, b0);
    x31 = MADD(x31, s3, b1);
  }
  acc[0] = x00, acc[1] = x01, acc[2] = x10, acc[3] = x11, acc[4] = x20, acc[5] = x21, acc[6] = x30, acc[7] = x31;
}

/* Keys per block of the blocked attention (a multiple of 8): scores of four queries by KB keys stay in scratch. */
#define KB 64

/* Floats of scratch that attention() needs: O(T * d), never T * T. */
EXPORT(attention_scratch_floats)
int32_t attention_scratch_floats(int32_t t, int32_t d) {
  int32_t tp = (t + 7) & ~7;
  return d * tp /* Kt */ + tp * d /* V */ + tp /* key index */ + (t + 1) /* valid keys before */ + 4 * KB /* scores */ +
         4 * d /* scaled queries */ + 4 * d /* context accumulators */ + d /* mean of V */ + 36 /* row state */;
}

/* Lanes m0 + 0..3 of a block that lie in [lo, hi), as an all-ones / all-zeros mask. */
INLINE v128_t lanes_in(int32_t m0, int32_t lo, int32_t hi) {
  v128_t m = wasm_i32x4_add(wasm_i32x4_splat(m0), wasm_i32x4_make(0, 1, 2, 3));
  return wasm_v128_and(wasm_i32x4_ge(m, wasm_i32x4_splat(lo)), wasm_i32x4_lt(m, wasm_i32x4_splat(hi)));
}

/* Scale modes of attention(): how 1 / sqrt(d) (or a given scale) enters. */
#define SCALE_DIV_SCORES 0 /* scores / s (HF's encoders: s = sqrt(d)) */
#define SCALE_MUL_SCORES 1 /* scores * s (a configured scale) */
#define SCALE_DIV_QUERY 2  /* (q / s) k (DistilBERT) */
#define SCALE_MUL_QUERY 3  /* (q * s) k */

/*
 * Multi-head self-attention for one layer, heads merged on both sides, blocked like the GEMM with an online
 * softmax (flash-attention style), so memory is O(T * d) whatever T.
 *   q: [B, T, ldq] rows, query head h reads columns [h*d, (h+1)*d); k, v: [B, T, ldkv] rows, kv head g reads
 *      [g*d, (g+1)*d); query head h uses kv head h / (heads / kv_heads) (HF repeat_kv: grouped-query attention).
 *   mask: int32 [B, T], nonzero = attend (0 = padding: the key is left out, as HF's finfo.min additive mask or
 *         masked_fill make its probability exactly 0); may be 0 (attend to all).
 *   causal: query i sees keys j <= i. window w >= 0 (< 0: none): with causal, keys i - w < j <= i; without,
 *         keys |i - j| <= w.
 *   bias: [bias_batch, heads, T, T] added to the scaled scores (MPNet's relative position bias); may be 0.
 *   out:  [B, T, heads*d] context. probs: [B, heads, T, T] probabilities (zeros at masked keys); may be 0.
 *   scale, scale_mode: see SCALE_* above.
 * A query with no key left (every key padding or outside its causal / window range) attends uniformly to all T
 * keys, as finfo.min on every score does in HF.
 * Per (batch, kv head) the valid keys are gathered (K transposed in panels of eight keys, as the GEMM packs its
 * weights, and V to [n, d]); a query's keys are then
 * a contiguous range [lo, hi) of those. Four queries at a time walk blocks of KB keys aligned at multiples of KB
 * of the valid-key index: scores (4x8 tiles), scale and bias, the block maximum, exp(s - max) with the running
 * maximum and sum rescaled as it grows, and the context accumulated p V (4x8 tiles), divided by the sum at the
 * end. A block a query has no key in leaves its state exactly unchanged (rescale by exp(0) = 1, add p = 0), so a
 * query's result depends only on its own keys, never on the other queries or on how much padding a text has.
 */
EXPORT(attention)
void attention(const f32* q, const f32* k, const f32* v, int32_t ldq, int32_t ldkv, const int32_t* mask, const f32* bias,
               int32_t bias_batch, f32* out, f32* probs, f32* scratch, int32_t B, int32_t T, int32_t heads, int32_t kv_heads,
               int32_t d, f32 scale, int32_t scale_mode, int32_t causal, int32_t window) {
  const int32_t tp = (T + 7) & ~7;
  f32* kt = scratch;                      /* [np / 8, d, 8]: K transposed in panels of eight keys */
  f32* vc = kt + d * tp;                  /* [np, d] */
  int32_t* idx = (int32_t*)(vc + tp * d); /* [n] position of the m-th valid key */
  int32_t* cnt = idx + tp;                /* [T + 1] valid keys before position j */
  f32* sc = (f32*)(cnt + T + 1);          /* [4, KB] */
  f32* qs = sc + 4 * KB;                  /* [4, d] */
  f32* acc = qs + 4 * d;                  /* [4, d] */
  f32* vmean = acc + 4 * d;               /* [d] */
  /* Per-row state of a block of four queries (in scratch: the module has no stack). */
  int32_t* restrict lo = (int32_t*)(vmean + d);    /* [4] first key (valid-key index) */
  int32_t* restrict hi = lo + 4;                   /* [4] one past the last key */
  f32* restrict mx = (f32*)(hi + 4);               /* [4] running maximum */
  f32* restrict sum = mx + 4;                      /* [4] running sum of exp(s - max) */
  f32* restrict alpha = sum + 4;                   /* [4] this block's rescale of the row */
  f32* restrict rowmax = alpha + 4;                /* [4, 4] the block's lane maxima per row */
  const int32_t hd = heads * d;
  const int32_t rep = heads / kv_heads;
  const f32 NEG_INF = -__builtin_inff();
  const v128_t vscale = vsplat(scale);
  /* The factor on raw scores inside the exponential (the queries carry it in the query modes). */
  const f32 LOG2E = 1.44269504088896341f;
  const f32 rowf = LOG2E * (scale_mode == SCALE_DIV_SCORES ? 1.0f / scale : scale_mode == SCALE_MUL_SCORES ? scale : 1.0f);

  for (int32_t b = 0; b < B; b++) {
    int32_t n = 0;
    for (int32_t j = 0; j < T; j++) {
      cnt[j] = n;
      if (!mask || mask[b * T + j] != 0) idx[n++] = j;
    }
    cnt[T] = n;
    const int32_t np = (n + 7) & ~7;
    for (int32_t g = 0; g < kv_heads; g++) {
      const int32_t kcol = g * d;
      /* Gather the valid keys (transposed) and values of this kv head, zero past n. */
      for (int32_t m = 0; m < n; m++) {
        const f32* src = k + (int64_t)(b * T + idx[m]) * ldkv + kcol;
        f32* dst = kt + (m >> 3) * 8 * d + (m & 7);
        for (int32_t c = 0; c < d; c++) dst[c * 8] = src[c];
      }
      for (int32_t c = 0; c < d; c++) {
        for (int32_t m = n; m < np; m++) kt[(m >> 3) * 8 * d + c * 8 + (m & 7)] = 0.0f;
      }
      for (int32_t m = 0; m < n; m++) {
        const f32* src = v + (int64_t)(b * T + idx[m]) * ldkv + kcol;
        f32* dst = vc + m * d;
        for (int32_t c = 0; c < d; c++) dst[c] = src[c];
      }
      for (int32_t i = n * d; i < np * d; i++) vc[i] = 0.0f;
      int32_t have_mean = 0;

      for (int32_t hr = 0; hr < rep; hr++) {
        const int32_t h = g * rep + hr;
        const int32_t col = h * d;
        const f32* hb = bias ? bias + (int64_t)((bias_batch == 1 ? 0 : b) * heads + h) * T * T : 0;

        for (int32_t i0 = 0; i0 < T; i0 += 4) {
          const int32_t rows = T - i0 < 4 ? T - i0 : 4;
          int32_t glo = n, ghi = 0;
          for (int32_t r = 0; r < 4; r++) {
            const int32_t i = i0 + (r < rows ? r : 0);
            if (scale_mode == SCALE_DIV_QUERY || scale_mode == SCALE_MUL_QUERY) {
              const f32* src = q + (int64_t)(b * T + i) * ldq + col;
              for (int32_t c = 0; c < d; c++) qs[r * d + c] = scale_mode == SCALE_DIV_QUERY ? src[c] / scale : src[c] * scale;
            }
            /* The query's keys, as a range of the valid-key index. */
            int32_t a = 0, e = T; /* positions [a, e) */
            if (causal) {
              e = i + 1;
              if (window >= 0 && i - window + 1 > 0) a = i - window + 1;
            } else if (window >= 0) {
              a = i - window > 0 ? i - window : 0;
              e = i + window + 1 < T ? i + window + 1 : T;
            }
            lo[r] = cnt[a];
            hi[r] = cnt[e];
            if (r >= rows) lo[r] = hi[r] = 0; /* a stand-in row past the end: no keys */
            if (lo[r] < hi[r]) {
              glo = lo[r] < glo ? lo[r] : glo;
              ghi = hi[r] > ghi ? hi[r] : ghi;
            }
            mx[r] = NEG_INF;
            sum[r] = 0.0f;
          }
          for (int32_t u = 0; u < 4 * d; u++) acc[u] = 0.0f;
          const int32_t qscaled = scale_mode == SCALE_DIV_QUERY || scale_mode == SCALE_MUL_QUERY;
          const f32* qrow = q + (int64_t)(b * T + i0) * ldq + col;
          const f32* q0 = qscaled ? qs : qrow;
          const f32* q1 = qscaled ? qs + d : rows > 1 ? qrow + ldq : qrow;
          const f32* q2 = qscaled ? qs + 2 * d : rows > 2 ? qrow + 2 * ldq : qrow;
          const f32* q3 = qscaled ? qs + 3 * d : rows > 3 ? qrow + 3 * ldq : qrow;
          const f32 *p0 = sc, *p1 = sc + KB, *p2 = sc + 2 * KB, *p3 = sc + 3 * KB;

          for (int32_t m0 = glo & ~(KB - 1); m0 < ghi; m0 += KB) {
            const int32_t kn = ghi - m0 < KB ? ghi - m0 : KB;
            const int32_t knp = (kn + 7) & ~7; /* <= np - m0 */
            /* Scores for four query rows, eight keys (one panel) at a time: s[r, m] = sum_c q[r, c] * K[m0 + m, c]. */
            /* Each row's maximum on the way (used where the whole block is the row's and unbiased). */
            v128_t rm0 = vsplat(NEG_INF), rm1 = rm0, rm2 = rm0, rm3 = rm0;
            for (int32_t mm = 0; mm < knp; mm += 8) {
              v128_t a8[8];
              for (int32_t u = 0; u < 8; u++) a8[u] = wasm_f32x4_splat(0.0f);
              tile_4x8(a8, q0, q1, q2, q3, kt + (m0 + mm) * d, 8, d);
              for (int32_t r = 0; r < 4; r++) {
                wasm_v128_store(sc + r * KB + mm, a8[2 * r]);
                wasm_v128_store(sc + r * KB + mm + 4, a8[2 * r + 1]);
              }
              /* pmax (a < b ? b : a, one maxps on x64) instead of f32x4.max (NaN- and -0-exact, a long sequence):
                 for non-NaN scores the two differ only on a tie of +0 and -0, where the maximum's sign may differ.
                 That cannot change a result: the maximum m is only used as s - m, m - m' and s + bias - m, each then
                 scaled and fed to vexp2_neg, or compared (m != m', ±0 equal); where m = ±0 these differences
                 are ±0 at worst and 2^(±0) = 1 exactly either way (r = ±0, each Horner step y * r + c = c), and for
                 any other s the difference is the same value. A NaN score makes its row's sum, hence its context
                 and probabilities, NaN whatever the maximum is. (Checked bit for bit against the max build on masked
                 batches with ±0 ties: scripts/attention-bits.ts.) The same holds for the block maxima below. */
              rm0 = wasm_f32x4_pmax(rm0, wasm_f32x4_pmax(a8[0], a8[1]));
              rm1 = wasm_f32x4_pmax(rm1, wasm_f32x4_pmax(a8[2], a8[3]));
              rm2 = wasm_f32x4_pmax(rm2, wasm_f32x4_pmax(a8[4], a8[5]));
              rm3 = wasm_f32x4_pmax(rm3, wasm_f32x4_pmax(a8[6], a8[7]));
            }
            wasm_v128_store(rowmax, rm0);
            wasm_v128_store(rowmax + 4, rm1);
            wasm_v128_store(rowmax + 8, rm2);
            wasm_v128_store(rowmax + 12, rm3);
            for (int32_t r = 0; r < 4; r++) {
              f32* s = sc + r * KB;
              const int32_t a = lo[r] - m0 > 0 ? lo[r] - m0 : 0;
              const int32_t e = hi[r] - m0 < knp ? hi[r] - m0 : knp;
              alpha[r] = 1.0f;
              if (e <= a) { /* no key of this row here: p = 0, state unchanged */
                for (int32_t m = 0; m < knp; m += 4) wasm_v128_store(s + m, wasm_f32x4_splat(0.0f));
                continue;
              }
              const int32_t full = a == 0 && e == knp;
              /* Without a bias the raw scores are kept and the scale goes inside the exponential, as
                 2^((s - max) * f) with f = scale * log2(e) (the scale is positive, so the maximum is the same key's);
                 with a bias they are scaled and biased first (f = log2(e)). Masked lanes become -inf. */
              f32 f = rowf;
              if (hb) {
                const f32* br = hb + (int64_t)(i0 + r) * T;
                for (int32_t m = 0; m < knp; m += 4) {
                  v128_t x = wasm_v128_load(s + m);
                  if (scale_mode == SCALE_DIV_SCORES) x = wasm_f32x4_div(x, vscale);
                  else if (scale_mode == SCALE_MUL_SCORES) x = wasm_f32x4_mul(x, vscale);
                  wasm_v128_store(s + m, x);
                }
                for (int32_t m = a; m < e; m++) s[m] += br[idx[m0 + m]];
                f = LOG2E;
              }
              if (!full) {
                for (int32_t m = 0; m < knp; m += 4) wasm_v128_store(s + m, wasm_v128_bitselect(wasm_v128_load(s + m), vsplat(NEG_INF), lanes_in(m, a, e)));
              }
              /* The block maximum (two chains; knp is a multiple of 8). */
              v128_t vmx = wasm_v128_load(rowmax + 4 * r);
              if (hb || !full) {
                v128_t vmx0 = vsplat(NEG_INF), vmx1 = vmx0;
                for (int32_t m = 0; m < knp; m += 8) {
                  vmx0 = wasm_f32x4_pmax(vmx0, wasm_v128_load(s + m));
                  vmx1 = wasm_f32x4_pmax(vmx1, wasm_v128_load(s + m + 4));
                }
                vmx = wasm_f32x4_pmax(vmx0, vmx1);
              }
              f32 bm = wasm_f32x4_extract_lane(vmx, 0);
              for (int32_t l = 1; l < 4; l++) {
                const f32 x = l == 1 ? wasm_f32x4_extract_lane(vmx, 1) : l == 2 ? wasm_f32x4_extract_lane(vmx, 2) : wasm_f32x4_extract_lane(vmx, 3);
                bm = x > bm ? x : bm;
              }
              const f32 mnew = bm > mx[r] ? bm : mx[r];
              if (mx[r] != NEG_INF && mnew != mx[r]) {
                alpha[r] = wasm_f32x4_extract_lane(vexp2_neg(vsplat((mx[r] - mnew) * f)), 0);
              } else if (mx[r] == NEG_INF) {
                alpha[r] = 0.0f; /* nothing accumulated yet */
              }
              mx[r] = mnew;
              /* p = 2^((s - max) * f) (0 on masked lanes), and its sum in a fixed lane order; two vectors per step
                 so the polynomial chains overlap (knp is a multiple of 8). */
              const v128_t vm = vsplat(mnew), vf = vsplat(f);
              v128_t vs0 = wasm_f32x4_splat(0.0f), vs1 = vs0;
              for (int32_t m = 0; m < knp; m += 8) {
                v128_t x0 = vexp2_neg(wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(s + m), vm), vf));
                v128_t x1 = vexp2_neg(wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(s + m + 4), vm), vf));
                if (!full) {
                  x0 = wasm_v128_and(x0, lanes_in(m, a, e));
                  x1 = wasm_v128_and(x1, lanes_in(m + 4, a, e));
                }
                wasm_v128_store(s + m, x0);
                wasm_v128_store(s + m + 4, x1);
                vs0 = wasm_f32x4_add(vs0, x0);
                vs1 = wasm_f32x4_add(vs1, x1);
              }
              sum[r] = sum[r] * alpha[r] + hsum(wasm_f32x4_add(vs0, vs1));
            }
            /* acc[r, :] = acc[r, :] * alpha[r] + sum_m p[r, m] V[m0 + m, :], four rows by eight columns at a time. */
            const v128_t al0 = vsplat(alpha[0]), al1 = vsplat(alpha[1]), al2 = vsplat(alpha[2]), al3 = vsplat(alpha[3]);
            int32_t c0 = 0;
            for (; c0 + 8 <= d; c0 += 8) {
              v128_t y[8];
              y[0] = wasm_f32x4_mul(wasm_v128_load(acc + c0), al0);
              y[1] = wasm_f32x4_mul(wasm_v128_load(acc + c0 + 4), al0);
              y[2] = wasm_f32x4_mul(wasm_v128_load(acc + d + c0), al1);
              y[3] = wasm_f32x4_mul(wasm_v128_load(acc + d + c0 + 4), al1);
              y[4] = wasm_f32x4_mul(wasm_v128_load(acc + 2 * d + c0), al2);
              y[5] = wasm_f32x4_mul(wasm_v128_load(acc + 2 * d + c0 + 4), al2);
              y[6] = wasm_f32x4_mul(wasm_v128_load(acc + 3 * d + c0), al3);
              y[7] = wasm_f32x4_mul(wasm_v128_load(acc + 3 * d + c0 + 4), al3);
              tile_4x8(y, p0, p1, p2, p3, vc + (int64_t)m0 * d + c0, d, knp);
              for (int32_t r = 0; r < 4; r++) {
                wasm_v128_store(acc + r * d + c0, y[2 * r]);
                wasm_v128_store(acc + r * d + c0 + 4, y[2 * r + 1]);
              }
            }
            for (int32_t r = 0; r < 4; r++) {
              const f32* pr = sc + r * KB;
              f32* ar = acc + r * d;
              int32_t c = c0;
              for (; c + 4 <= d; c += 4) {
                v128_t x = wasm_f32x4_mul(wasm_v128_load(ar + c), vsplat(alpha[r]));
                const f32* vr = vc + (int64_t)m0 * d + c;
                for (int32_t m = 0; m < knp; m++, vr += d) x = MADD(x, wasm_v128_load32_splat(pr + m), wasm_v128_load(vr));
                wasm_v128_store(ar + c, x);
              }
              for (; c < d; c++) {
                f32 x = ar[c] * alpha[r];
                for (int32_t m = 0; m < knp; m++) x += pr[m] * vc[(int64_t)(m0 + m) * d + c];
                ar[c] = x;
              }
            }
          }

          /* context = acc / sum; a row with no key: the mean of V over all T positions (uniform). */
          for (int32_t r = 0; r < rows; r++) {
            const int32_t i = i0 + r;
            f32* o = out + (int64_t)(b * T + i) * hd + col;
            if (lo[r] >= hi[r]) {
              if (!have_mean) {
                for (int32_t c = 0; c < d; c++) vmean[c] = 0.0f;
                for (int32_t j = 0; j < T; j++) {
                  const f32* src = v + (int64_t)(b * T + j) * ldkv + kcol;
                  for (int32_t c = 0; c < d; c++) vmean[c] += src[c];
                }
                for (int32_t c = 0; c < d; c++) vmean[c] /= (f32)T;
                have_mean = 1;
              }
              for (int32_t c = 0; c < d; c++) o[c] = vmean[c];
              if (probs) {
                f32* pr = probs + ((int64_t)(b * heads + h) * T + i) * T;
                for (int32_t j = 0; j < T; j++) pr[j] = 1.0f / (f32)T;
              }
              continue;
            }
            const v128_t vsum = vsplat(sum[r]);
            const f32* ar = acc + r * d;
            int32_t c = 0;
            for (; c + 4 <= d; c += 4) wasm_v128_store(o + c, wasm_f32x4_div(wasm_v128_load(ar + c), vsum));
            for (; c < d; c++) o[c] = ar[c] / sum[r];
          }

          /* Probabilities on request: the scores again, exp(s - max) / sum with the final max and sum. */
          if (probs) {
            for (int32_t r = 0; r < rows; r++) {
              if (lo[r] >= hi[r]) continue;
              f32* pr = probs + ((int64_t)(b * heads + h) * T + i0 + r) * T;
              for (int32_t j = 0; j < T; j++) pr[j] = 0.0f;
            }
            for (int32_t m0 = glo & ~7; m0 < ghi; m0 += 8) {
              v128_t a8[8];
              for (int32_t u = 0; u < 8; u++) a8[u] = wasm_f32x4_splat(0.0f);
              tile_4x8(a8, q0, q1, q2, q3, kt + m0 * d, 8, d);
              /* The blocks' score buffer is done with: reuse it as [4, 8] scaled and [4, 8] raw scores. */
              f32* r8 = sc + 32;
              for (int32_t u = 0; u < 8; u++) {
                v128_t x = a8[u];
                wasm_v128_store(r8 + u * 4, x);
                if (scale_mode == SCALE_DIV_SCORES) x = wasm_f32x4_div(x, vscale);
                else if (scale_mode == SCALE_MUL_SCORES) x = wasm_f32x4_mul(x, vscale);
                wasm_v128_store(sc + u * 4, x);
              }
              for (int32_t r = 0; r < rows; r++) {
                if (lo[r] >= hi[r]) continue;
                const f32* s8 = sc + r * 8;
                f32* pr = probs + ((int64_t)(b * heads + h) * T + i0 + r) * T;
                const f32* br = hb ? hb + (int64_t)(i0 + r) * T : 0;
                for (int32_t u = 0; u < 8; u++) {
                  const int32_t m = m0 + u;
                  if (m < lo[r] || m >= hi[r]) continue;
                  /* As the blocks computed it: scaled + bias, or raw with the scale inside the exponential. */
                  const f32 x = br ? (s8[u] + br[idx[m]] - mx[r]) * LOG2E : (r8[r * 8 + u] - mx[r]) * rowf;
                  pr[idx[m]] = wasm_f32x4_extract_lane(vexp2_neg(vsplat(x)), 0) / sum[r];
                }
              }
            }
          }
        }
      }
    }
  }
}

/*
 * Embedding lookup: out[i, :] = table[ids[i], :] for n ids over a [num, dim] table. An id outside [0, num)
 * gives a row of zeros (never a read outside the table); the encoders validate ids before this runs.
 */
EXPORT(gather_rows)
void gather_rows(const f32* table, const int32_t* ids, f32* out, int32_t n, int32_t dim, int32_t num) {
  for (int32_t i = 0; i < n; i++) {
    f32* o = out + (int64_t)i * dim;
    const int32_t id = ids[i];
    if (id < 0 || id >= num) {
      for (int32_t c = 0; c < dim; c++) o[c] = 0.0f;
      continue;
    }
    const f32* src = table + (int64_t)id * dim;
    int32_t c = 0;
    for (; c + 4 <= dim; c += 4) wasm_v128_store(o + c, wasm_v128_load(src + c));
    for (; c < dim; c++) o[c] = src[c];
  }
}

/*
 * Dense layer weights packed for gemm_bias: w [K, N] row-major (the [in, out] layout) -> panels of eight columns,
 * p[panel][k][0..8) = w[k][8 * panel + 0..8), zero-filled past N. p holds ceil(N / 8) * 8 * K floats.
 */
EXPORT(pack_panels)
void pack_panels(const f32* w, f32* p, int32_t K, int32_t N) {
  for (int32_t n0 = 0; n0 < N; n0 += 8) {
    f32* dst = p + (int64_t)n0 * K;
    const int32_t cols = N - n0 < 8 ? N - n0 : 8;
    for (int32_t k = 0; k < K; k++) {
      const f32* src = w + (int64_t)k * N + n0;
      int32_t j = 0;
      for (; j < cols; j++) dst[k * 8 + j] = src[j];
      for (; j < 8; j++) dst[k * 8 + j] = 0.0f;
    }
  }
}

INLINE v128_t load_cols(const f32* x, int32_t cols) {
  if (cols >= 4) return wasm_v128_load(x);
  v128_t v = wasm_f32x4_splat(0.0f);
  if (cols > 0) v = wasm_f32x4_replace_lane(v, 0, x[0]);
  if (cols > 1) v = wasm_f32x4_replace_lane(v, 1, x[1]);
  if (cols > 2) v = wasm_f32x4_replace_lane(v, 2, x[2]);
  return v;
}

INLINE void store_cols(f32* y, v128_t v, int32_t cols) {
  if (cols >= 4) {
    wasm_v128_store(y, v);
    return;
  }
  if (cols > 0) y[0] = wasm_f32x4_extract_lane(v, 0);
  if (cols > 1) y[1] = wasm_f32x4_extract_lane(v, 1);
  if (cols > 2) y[2] = wasm_f32x4_extract_lane(v, 2);
}

/*
 * The last R (1-3) rows of gemm_bias (M not a multiple of 4) on P panels side by side from column n0 (all P
 * panels start before N), so that no work goes to padding rows and enough independent sums are in flight (R * 2P:
 * one row on one panel alone is 2, bound by the latency of each add). Each output is accumulated exactly as in the
 * 4-row tile (bias, then k in order), so a row's bits do not depend on which loop computed it. R and P are
 * constants at every call: the arrays below live in registers.
 */
INLINE void gemm_rest_tile(const f32* a0, int32_t K, const f32* p, const f32* bias, f32* y0, int32_t N, int32_t n0, const int R, const int P) {
  v128_t acc[3][8];
  for (int j = 0; j < P; j++) {
    const int32_t c = n0 + 8 * j;
    const int32_t cols = N - c < 8 ? N - c : 8;
    v128_t b0 = wasm_f32x4_splat(0.0f), b1 = b0;
    if (bias) {
      b0 = load_cols(bias + c, cols);
      b1 = load_cols(bias + c + 4, cols - 4);
    }
    for (int r = 0; r < R; r++) acc[r][2 * j] = b0, acc[r][2 * j + 1] = b1;
  }
  const f32* bp = p + (int64_t)n0 * K;
  for (int32_t k = 0; k < K; k++, bp += 8) {
    v128_t sr[3];
    for (int r = 0; r < R; r++) sr[r] = wasm_v128_load32_splat(a0 + (int64_t)r * K + k);
    for (int j = 0; j < P; j++) {
      const v128_t w0 = wasm_v128_load(bp + (int64_t)j * 8 * K), w1 = wasm_v128_load(bp + (int64_t)j * 8 * K + 4);
      for (int r = 0; r < R; r++) {
        acc[r][2 * j] = MADD(acc[r][2 * j], sr[r], w0);
        acc[r][2 * j + 1] = MADD(acc[r][2 * j + 1], sr[r], w1);
      }
    }
  }
  for (int j = 0; j < P; j++) {
    const int32_t c = n0 + 8 * j;
    const int32_t cols = N - c < 8 ? N - c : 8;
    for (int r = 0; r < R; r++) {
      store_cols(y0 + (int64_t)r * N + c, acc[r][2 * j], cols);
      store_cols(y0 + (int64_t)r * N + c + 4, acc[r][2 * j + 1], cols - 4);
    }
  }
}

/* The last `rest` (1-3) rows over columns [n_begin, n_end): one row four panels at a time, two rows two at a time. */
INLINE void gemm_rest(const f32* a0, int32_t K, const f32* p, const f32* bias, f32* y0, int32_t N, int32_t n_begin, int32_t n_end, int32_t rest) {
  int32_t n0 = n_begin;
  if (rest == 1) {
    for (; n0 + 24 < n_end; n0 += 32) gemm_rest_tile(a0, K, p, bias, y0, N, n0, 1, 4);
    for (; n0 < n_end; n0 += 8) gemm_rest_tile(a0, K, p, bias, y0, N, n0, 1, 1);
  } else if (rest == 2) {
    for (; n0 + 8 < n_end; n0 += 16) gemm_rest_tile(a0, K, p, bias, y0, N, n0, 2, 2);
    for (; n0 < n_end; n0 += 8) gemm_rest_tile(a0, K, p, bias, y0, N, n0, 2, 1);
  } else if (rest == 3) {
    for (; n0 < n_end; n0 += 8) gemm_rest_tile(a0, K, p, bias, y0, N, n0, 3, 1);
  }
}

/*
 * Bytes of packed weights per column block of gemm_bias: a block stays in L2 while every row strip passes over it
 * (256 KB to 768 KB measured within 2% of each other on MiniLM's shapes; no blocking at all was the slowest).
 */
#define GEMM_BLOCK_BYTES (512 * 1024)

/*
 * y[M, N] = x[M, K] @ w + bias, with w packed by pack_panels; bias may be 0. Tiles of four rows by eight
 * columns, each output accumulated from its bias in k order: a row's result does not depend on M or on the
 * other rows. (About 1.3x tfjs-wasm's XNNPACK matmul on this machine's wasm SIMD, without FMA.)
 * The columns go in blocks of whole panels (GEMM_BLOCK_BYTES of packed weights), each block under every row strip
 * in turn: the weights come from memory once per call, not once per strip of four rows (a 10-token query's
 * 3 strips read each [384 x 1536] weight 3 times before), and the strip's rows stay in L1 across the block. The
 * order of the outputs changes, not how any one is computed: the bits are the same.
 * gelu != 0: y = gelu(y) (exact erf) on each strip's block of columns right after it is written (still in L1), by
 * gelu_erf itself, lane by lane: bit for bit gemm_bias then gelu_erf over y (the fused encoder layer uses it).
 */
EXPORT(gemm_bias)
void gemm_bias(const f32* x, const f32* p, const f32* bias, f32* y, int32_t M, int32_t K, int32_t N, int32_t gelu) {
  const int32_t full = M & ~3;
  const int32_t rest = M - full;
  int32_t panels = GEMM_BLOCK_BYTES / (K * 32 > 0 ? K * 32 : 1);
  if (panels < 1) panels = 1;
  for (int32_t c0 = 0; c0 < N; c0 += panels * 8) {
    const int32_t c1 = N - c0 < panels * 8 ? N : c0 + panels * 8;
    for (int32_t m0 = 0; m0 < full; m0 += 4) {
      const f32* a0 = x + (int64_t)m0 * K;
      for (int32_t n0 = c0; n0 < c1; n0 += 8) {
        const int32_t cols = N - n0 < 8 ? N - n0 : 8;
        v128_t b0 = wasm_f32x4_splat(0.0f), b1 = b0;
        if (bias) {
          b0 = load_cols(bias + n0, cols);
          b1 = load_cols(bias + n0 + 4, cols - 4);
        }
        v128_t acc[8] = {b0, b1, b0, b1, b0, b1, b0, b1};
        tile_4x8(acc, a0, a0 + K, a0 + 2 * K, a0 + 3 * K, p + (int64_t)n0 * K, 8, K);
        f32* y0 = y + (int64_t)m0 * N + n0;
        for (int32_t r = 0; r < 4; r++) {
          store_cols(y0 + r * N, acc[2 * r], cols);
          store_cols(y0 + r * N + 4, acc[2 * r + 1], cols - 4);
        }
      }
      if (gelu)
        for (int32_t r = 0; r < 4; r++) gelu_erf(y + (int64_t)(m0 + r) * N + c0, y + (int64_t)(m0 + r) * N + c0, c1 - c0);
    }
    if (rest) {
      gemm_rest(x + (int64_t)full * K, K, p, bias, y + (int64_t)full * N, N, c0, c1, rest);
      if (gelu)
        for (int32_t r = full; r < M; r++) gelu_erf(y + (int64_t)r * N + c0, y + (int64_t)r * N + c0, c1 - c0);
    }
  }
}

/* ====================================================================================================
 * int8 section (issue 17): dense layers with int8 weights and dynamically quantized activations.
 * (Kept apart from the float32 kernels above; it shares only the EXPORT / INLINE macros.)
 *
 * The scheme, y[m, n] = (sum_k (xq[m, k] - zp[m]) * wq[n, k]) * (sx[m] * sw[n]) + bias[n], where
 *   - weights, per output channel once at load (TypeScript, src/weights/q8.ts): sw[n] = max_k |w[n, k]| / 127,
 *     wq = round-half-even(w / sw) in [-127, 127] (symmetric int8);
 *   - activations, per row at run time (q8_quantize_rows), asymmetric 7-bit: lo = min(0, min_k x), hi = max(0,
 *     max_k x), sx = (hi - lo) / 127 (1 for an all-zero row), zp = round-half-even(-lo / sx) in [0, 127],
 *     xq = clamp(round-half-even(x / sx) + zp, 0, 127).
 * Which side is 7-bit: i32x4.relaxed_dot_i8x16_i7x16_add_s(a, b, c) is only defined for b in [0, 127] (x86
 * lowers it to pmaddubsw, which reads b unsigned), so one operand must be 7-bit and non-negative. Measured with
 * PyTorch on minilm-l6-full (fp32 reference, 8 sentences, min / mean cosine of the embeddings): 7-bit weights
 * with 8-bit symmetric activations 0.99810 / 0.99838; 8-bit weights with 7-bit symmetric activations
 * 0.99897 / 0.99914; 8-bit weights with 7-bit asymmetric activations 0.99901 / 0.99930 (8-bit weights alone
 * cost 0.99952 / 0.99958). So the weights keep all 8 bits (operand a) and the activations are the 7-bit operand,
 * asymmetric so that a skewed row (GELU outputs: lo ~ -0.17, hi large) spends its 128 levels on its own range;
 * the zero point costs one epilogue term, zp[m] * wsum[n] (wsum = sum_k wq[n, k], computed by q8_pack).
 * The plain-SIMD build computes the same integers with i32x4.dot_i16x8_s on widened bytes. Every path (relaxed,
 * plain, and the stock-ops fallback in src/kernels/q8.ts) has the same quantized operands; the int32 sums are
 * exact, and the stock path's float32 matmul of the same integers is exact while |acc| < 2^24 (K <= 1040) and
 * within float32 rounding beyond. The epilogue float(acc) * (sx[m] * sw[n]) + bias[n] is the same float32
 * operations in the same order everywhere.
 *
 * Packed weights (q8_pack): panels of eight output columns; inside a panel, per block of four k, 32 bytes:
 * columns 0-3 (four k each) then columns 4-7, i.e. p[panel][kb][c][j] = wq[8 * panel + c][4 * kb + j], where K
 * is padded to Kp (a multiple of 4) and N to a multiple of 8 with zeros.
 * ==================================================================================================== */

typedef int8_t i8;
typedef uint8_t u8;
typedef signed char stfjs_i8x16 __attribute__((vector_size(16)));
typedef int32_t stfjs_i32x4 __attribute__((vector_size(16)));

/* Bytes of packed weights for N outputs over K inputs. */
EXPORT(q8_packed_bytes)
int32_t q8_packed_bytes(int32_t K, int32_t N) {
  return ((N + 7) & ~7) * ((K + 3) & ~3);
}

/*
 * Pack int8 weights wq [N, K] (PyTorch's [out, in] layout, values in [-127, 127]) into p (q8_packed_bytes bytes)
 * and write their row sums wsum [N].
 */
EXPORT(q8_pack)
void q8_pack(const i8* w, i8* p, int32_t* wsum, int32_t K, int32_t N) {
  const int32_t kp = (K + 3) & ~3;
  for (int32_t n = 0; n < N; n++) {
    int32_t sum = 0;
    for (int32_t k = 0; k < K; k++) sum += w[(int64_t)n * K + k];
    wsum[n] = sum;
  }
  for (int32_t n0 = 0; n0 < N; n0 += 8) {
    i8* panel = p + (int64_t)n0 * kp;
    for (int32_t kb = 0; kb < kp; kb += 4) {
      i8* blk = panel + kb * 8;
      for (int32_t c = 0; c < 8; c++) {
        const int32_t n = n0 + c;
        for (int32_t j = 0; j < 4; j++) {
          const int32_t k = kb + j;
          blk[c * 4 + j] = n < N && k < K ? w[(int64_t)n * K + k] : 0;
        }
      }
    }
  }
}

/*
 * Bytes per quantized activation: 1 (relaxed build: the bytes feed the dot product directly), or 2 (plain build:
 * widened to 16 bits once here, rather than once per column panel in the GEMM).
 */
#ifdef STFJS_RELAXED
typedef u8 q8_act;
#else
typedef uint16_t q8_act;
#endif
EXPORT(q8_act_bytes)
int32_t q8_act_bytes(void) {
  return (int32_t)sizeof(q8_act);
}

/*
 * Quantize rows x [M, K] (float32) to xq [M, Kp] (7-bit values, q8_act_bytes each; zp past K), scales sx [M] and
 * zero points zp [M], as described above (divisions and round-half-even, as the stock path's tf.div and tf.round).
 * Speed (the quantization was a third of a dense call on Node 24 at K = 384): the range pass keeps four min/max
 * pairs in flight and uses pmin/pmax (one minps/maxps each; f32x4.min/max lower to a NaN-exact sequence of ~7
 * instructions, on the loop-carried chain); min and max are exact, so the order of the reduction does not matter
 * (a -0 for +0 in lo or hi changes neither sx nor zp). The values go out as bytes through the float bits of
 * r + 2^23 (r an integer in [0, 127] after the clamp: the low byte of its bits is r) and one byte shuffle, instead
 * of i32x4.trunc_sat (a long lowering) and two narrows. A NaN input still gives 0, as trunc_sat did.
 */
EXPORT(q8_quantize_rows)
void q8_quantize_rows(const f32* x, q8_act* xq, f32* sx, int32_t* zp, int32_t M, int32_t K, int32_t Kp) {
  const v128_t magic = wasm_f32x4_splat(8388608.0f); /* 2^23 */
  for (int32_t m = 0; m < M; m++) {
    const f32* xr = x + (int64_t)m * K;
    q8_act* q = xq + (int64_t)m * Kp;
    v128_t l0 = wasm_f32x4_splat(0.0f), l1 = l0, l2 = l0, l3 = l0, h0 = l0, h1 = l0, h2 = l0, h3 = l0;
    int32_t k = 0;
    for (; k + 16 <= K; k += 16) {
      const v128_t v0 = wasm_v128_load(xr + k), v1 = wasm_v128_load(xr + k + 4);
      const v128_t v2 = wasm_v128_load(xr + k + 8), v3 = wasm_v128_load(xr + k + 12);
      l0 = wasm_f32x4_pmin(l0, v0), h0 = wasm_f32x4_pmax(h0, v0);
      l1 = wasm_f32x4_pmin(l1, v1), h1 = wasm_f32x4_pmax(h1, v1);
      l2 = wasm_f32x4_pmin(l2, v2), h2 = wasm_f32x4_pmax(h2, v2);
      l3 = wasm_f32x4_pmin(l3, v3), h3 = wasm_f32x4_pmax(h3, v3);
    }
    for (; k + 4 <= K; k += 4) {
      const v128_t v = wasm_v128_load(xr + k);
      l0 = wasm_f32x4_pmin(l0, v), h0 = wasm_f32x4_pmax(h0, v);
    }
    const v128_t vlo = wasm_f32x4_pmin(wasm_f32x4_pmin(l0, l1), wasm_f32x4_pmin(l2, l3));
    const v128_t vhi = wasm_f32x4_pmax(wasm_f32x4_pmax(h0, h1), wasm_f32x4_pmax(h2, h3));
    f32 lo = wasm_f32x4_extract_lane(vlo, 0), hi = wasm_f32x4_extract_lane(vhi, 0);
    lo = wasm_f32x4_extract_lane(vlo, 1) < lo ? wasm_f32x4_extract_lane(vlo, 1) : lo;
    lo = wasm_f32x4_extract_lane(vlo, 2) < lo ? wasm_f32x4_extract_lane(vlo, 2) : lo;
    lo = wasm_f32x4_extract_lane(vlo, 3) < lo ? wasm_f32x4_extract_lane(vlo, 3) : lo;
    hi = wasm_f32x4_extract_lane(vhi, 1) > hi ? wasm_f32x4_extract_lane(vhi, 1) : hi;
    hi = wasm_f32x4_extract_lane(vhi, 2) > hi ? wasm_f32x4_extract_lane(vhi, 2) : hi;
    hi = wasm_f32x4_extract_lane(vhi, 3) > hi ? wasm_f32x4_extract_lane(vhi, 3) : hi;
    for (; k < K; k++) {
      lo = xr[k] < lo ? xr[k] : lo;
      hi = xr[k] > hi ? xr[k] : hi;
    }
    const f32 range = hi - lo;
    const f32 s = range > 0.0f ? range / 127.0f : 1.0f;
    const f32 z = __builtin_rintf(-lo / s);
    sx[m] = s;
    zp[m] = (int32_t)z;
    const v128_t vs = wasm_f32x4_splat(s), vz = wasm_f32x4_splat(z);
    const v128_t qlo = wasm_f32x4_splat(0.0f), qhi = wasm_f32x4_splat(127.0f);
/* float bits of clamp(rint(x / s) + z, 0, 127) + 2^23: the integer in the low byte */
#define Q8_BITS(v) wasm_f32x4_add(wasm_f32x4_pmin(wasm_f32x4_pmax(wasm_f32x4_add(wasm_f32x4_nearest(wasm_f32x4_div((v), vs)), vz), qlo), qhi), magic)
    k = 0;
    for (; k + 16 <= K; k += 16) {
      const v128_t b0 = Q8_BITS(wasm_v128_load(xr + k)), b1 = Q8_BITS(wasm_v128_load(xr + k + 4));
      const v128_t b2 = Q8_BITS(wasm_v128_load(xr + k + 8)), b3 = Q8_BITS(wasm_v128_load(xr + k + 12));
#ifdef STFJS_RELAXED
      const v128_t b01 = wasm_i8x16_shuffle(b0, b1, 0, 4, 8, 12, 16, 20, 24, 28, 0, 0, 0, 0, 0, 0, 0, 0);
      const v128_t b23 = wasm_i8x16_shuffle(b2, b3, 0, 4, 8, 12, 16, 20, 24, 28, 0, 0, 0, 0, 0, 0, 0, 0);
      wasm_v128_store(q + k, wasm_i64x2_shuffle(b01, b23, 0, 2));
#else
      /* u16: byte 0 of each lane, then byte 1 (0: the value is at most 127) */
      wasm_v128_store(q + k, wasm_i8x16_shuffle(b0, b1, 0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24, 25, 28, 29));
      wasm_v128_store(q + k + 8, wasm_i8x16_shuffle(b2, b3, 0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24, 25, 28, 29));
#endif
    }
    for (; k + 4 <= K; k += 4) {
      const v128_t b = Q8_BITS(wasm_v128_load(xr + k));
#ifdef STFJS_RELAXED
      wasm_v128_store32_lane(q + k, wasm_i8x16_shuffle(b, b, 0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), 0);
#else
      wasm_v128_store64_lane(q + k, wasm_i8x16_shuffle(b, b, 0, 1, 4, 5, 8, 9, 12, 13, 0, 0, 0, 0, 0, 0, 0, 0), 0);
#endif
    }
#undef Q8_BITS
    for (; k < K; k++) {
      f32 r = __builtin_rintf(xr[k] / s) + z;
      r = r < 0.0f ? 0.0f : r > 127.0f ? 127.0f : r;
      q[k] = (q8_act)(int32_t)r;
    }
    for (; k < Kp; k++) q[k] = (q8_act)(int32_t)z; /* padding: xq - zp = 0 */
  }
}

/* The epilogue of four output columns of one row: float(acc - zp * wsum) * (sx * sw) + bias. */
INLINE void q8_store4(f32* y, v128_t acc, int32_t zp, f32 sx, const int32_t* wsum, const f32* sw, const f32* bias, int32_t cols) {
  v128_t ws, s, b = wasm_f32x4_splat(0.0f);
  if (cols >= 4) {
    ws = wasm_v128_load(wsum);
    s = wasm_v128_load(sw);
    if (bias) b = wasm_v128_load(bias);
  } else {
    /* 1-3 columns: lanes past cols are 0 (their results are not stored). */
    ws = wasm_i32x4_make(wsum[0], cols > 1 ? wsum[1] : 0, cols > 2 ? wsum[2] : 0, 0);
    s = wasm_f32x4_make(sw[0], cols > 1 ? sw[1] : 0.0f, cols > 2 ? sw[2] : 0.0f, 0.0f);
    if (bias) b = wasm_f32x4_make(bias[0], cols > 1 ? bias[1] : 0.0f, cols > 2 ? bias[2] : 0.0f, 0.0f);
  }
  const v128_t c = wasm_i32x4_sub(acc, wasm_i32x4_mul(ws, wasm_i32x4_splat(zp)));
  v128_t v = wasm_f32x4_mul(wasm_f32x4_convert_i32x4(c), wasm_f32x4_mul(wasm_f32x4_splat(sx), s));
  if (bias) v = wasm_f32x4_add(v, b);
  if (cols >= 4) {
    wasm_v128_store(y, v);
    return;
  }
  if (cols > 0) y[0] = wasm_f32x4_extract_lane(v, 0);
  if (cols > 1) y[1] = wasm_f32x4_extract_lane(v, 1);
  if (cols > 2) y[2] = wasm_f32x4_extract_lane(v, 2);
}

#ifdef STFJS_RELAXED
/* a: the weights (signed int8), b: the activations (7-bit, [0, 127]). */
#define Q8_DOT(acc, w, x) ((v128_t)__builtin_wasm_relaxed_dot_i8x16_i7x16_add_s_i32x4((stfjs_i8x16)(w), (stfjs_i8x16)(x), (stfjs_i32x4)(acc)))

/*
 * The same sums for engines that lower the dot-add to a long sequence (q8_gemm_pairs). V8 before AVX-VNNI support
 * (V8 12.4, Node 22; and any x64 CPU without AVX-VNNI) emits for each i32x4.relaxed_dot_i8x16_i7x16_add_s:
 * pcmpeqd + psrlw (the i16x8.splat(1) constant, rebuilt every time), vpmaddubsw, vpmaddwd by that constant, paddd:
 * five instructions, so the tile above runs at ~100 GOP/s there against ~230 with V8 13.6's single vpdpbusd.
 * Here i16x8.relaxed_dot_i8x16_i7x16_s (vpmaddubsw alone: the pair sums are at most 2 * 127 * 127 < 2^15, so its
 * saturation never happens) then i32x4.dot_i16x8_s by a ones vector held in a register (vpmaddwd) and an add:
 * three instructions, and four rows by four columns at a time (11 live vectors: V8 12.4 spilled an accumulator of
 * the 4 x 8 tile to the stack). Exact int32 sums, so the same bits; ~1.25x on Node 22, ~0.55x on Node 24.
 */
typedef short stfjs_i16x8 __attribute__((vector_size(16)));
#define Q8_PAIRS(a, w, x) (a) = wasm_i32x4_add((a), wasm_i32x4_dot_i16x8((v128_t)__builtin_wasm_relaxed_dot_i8x16_i7x16_s_i16x8((stfjs_i8x16)(w), (stfjs_i8x16)(x)), ones))
/*
 * Four rows by eight columns over Kp, added to acc: acc[2r] columns 0-3, acc[2r + 1] columns 4-7 (exact int32 sums;
 * the grouped GEMM starts them at -zp * gsum, q8_tile below at zero).
 */
INLINE void q8_tile_from(v128_t acc[8], const q8_act* x0, const q8_act* x1, const q8_act* x2, const q8_act* x3, const i8* b, int32_t kp) {
  v128_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3], a20 = acc[4], a21 = acc[5], a30 = acc[6], a31 = acc[7];
  for (int32_t k = 0; k < kp; k += 4, b += 32) {
    const v128_t b0 = wasm_v128_load(b), b1 = wasm_v128_load(b + 16);
    const v128_t s0 = wasm_v128_load32_splat(x0 + k);
    a00 = Q8_DOT(a00, b0, s0);
    a01 = Q8_DOT(a01, b1, s0);
    const v128_t s1 = wasm_v128_load32_splat(x1 + k);
    a10 = Q8_DOT(a10, b0, s1);
    a11 = Q8_DOT(a11, b1, s1);
    const v128_t s2 = wasm_v128_load32_splat(x2 + k);
    a20 = Q8_DOT(a20, b0, s2);
    a21 = Q8_DOT(a21, b1, s2);
    const v128_t s3 = wasm_v128_load32_splat(x3 + k);
    a30 = Q8_DOT(a30, b0, s3);
    a31 = Q8_DOT(a31, b1, s3);
  }
  acc[0] = a00, acc[1] = a01, acc[2] = a10, acc[3] = a11, acc[4] = a20, acc[5] = a21, acc[6] = a30, acc[7] = a31;
}
INLINE void q8_tile_pairs_from(v128_t acc[8], const q8_act* x0, const q8_act* x1, const q8_act* x2, const q8_act* x3, const i8* b, int32_t kp) {
  const v128_t ones = wasm_i16x8_splat(1);
  for (int32_t half = 0; half < 2; half++) {
    v128_t a0 = acc[0 + half], a1 = acc[2 + half], a2 = acc[4 + half], a3 = acc[6 + half];
    const i8* bp = b + 16 * half;
    for (int32_t k = 0; k < kp; k += 4, bp += 32) {
      const v128_t w = wasm_v128_load(bp);
      Q8_PAIRS(a0, w, wasm_v128_load32_splat(x0 + k));
      Q8_PAIRS(a1, w, wasm_v128_load32_splat(x1 + k));
      Q8_PAIRS(a2, w, wasm_v128_load32_splat(x2 + k));
      Q8_PAIRS(a3, w, wasm_v128_load32_splat(x3 + k));
    }
    acc[0 + half] = a0, acc[2 + half] = a1, acc[4 + half] = a2, acc[6 + half] = a3;
  }
}

/* The tiles from zero (q8_gemm, q8_gemm_pairs). */
INLINE void q8_tile(v128_t acc[8], const q8_act* x0, const q8_act* x1, const q8_act* x2, const q8_act* x3, const i8* b, int32_t kp) {
  for (int32_t i = 0; i < 8; i++) acc[i] = wasm_i32x4_splat(0);
  q8_tile_from(acc, x0, x1, x2, x3, b, kp);
}
INLINE void q8_tile_pairs(v128_t acc[8], const q8_act* x0, const q8_act* x1, const q8_act* x2, const q8_act* x3, const i8* b, int32_t kp) {
  for (int32_t i = 0; i < 8; i++) acc[i] = wasm_i32x4_splat(0);
  q8_tile_pairs_from(acc, x0, x1, x2, x3, b, kp);
}
#undef Q8_PAIRS
#else
/* Sum lane pairs: [l0 + l1, l2 + l3] of lo then of hi (each pair is one column's two halves). */
INLINE v128_t q8_pairs(v128_t lo, v128_t hi) {
  return wasm_i32x4_add(wasm_i32x4_shuffle(lo, hi, 0, 2, 4, 6), wasm_i32x4_shuffle(lo, hi, 1, 3, 5, 7));
}

/*
 * The same sums with plain SIMD: weight bytes widened to int16 (the activations come widened), i32x4.dot_i16x8_s
 * (pmaddwd). A 16-byte block (four columns by four k) widens to columns 0-1 and 2-3; each dot leaves two partial
 * sums per column, added at the end. Four rows by eight columns, one half (four columns) at a time to stay within
 * sixteen registers.
 */
INLINE void q8_tile(v128_t acc[8], const q8_act* x0, const q8_act* x1, const q8_act* x2, const q8_act* x3, const i8* b, int32_t kp) {
  for (int32_t half = 0; half < 2; half++) {
    v128_t l0 = wasm_i32x4_splat(0), h0 = l0, l1 = l0, h1 = l0, l2 = l0, h2 = l0, l3 = l0, h3 = l0;
    const i8* bp = b + 16 * half;
    for (int32_t k = 0; k < kp; k += 4, bp += 32) {
      const v128_t w = wasm_v128_load(bp);
      const v128_t wl = wasm_i16x8_extend_low_i8x16(w), wh = wasm_i16x8_extend_high_i8x16(w);
      const v128_t s0 = wasm_v128_load64_splat(x0 + k);
      l0 = wasm_i32x4_add(l0, wasm_i32x4_dot_i16x8(s0, wl));
      h0 = wasm_i32x4_add(h0, wasm_i32x4_dot_i16x8(s0, wh));
      const v128_t s1 = wasm_v128_load64_splat(x1 + k);
      l1 = wasm_i32x4_add(l1, wasm_i32x4_dot_i16x8(s1, wl));
      h1 = wasm_i32x4_add(h1, wasm_i32x4_dot_i16x8(s1, wh));
      const v128_t s2 = wasm_v128_load64_splat(x2 + k);
      l2 = wasm_i32x4_add(l2, wasm_i32x4_dot_i16x8(s2, wl));
      h2 = wasm_i32x4_add(h2, wasm_i32x4_dot_i16x8(s2, wh));
      const v128_t s3 = wasm_v128_load64_splat(x3 + k);
      l3 = wasm_i32x4_add(l3, wasm_i32x4_dot_i16x8(s3, wl));
      h3 = wasm_i32x4_add(h3, wasm_i32x4_dot_i16x8(s3, wh));
    }
    acc[0 + half] = q8_pairs(l0, h0);
    acc[2 + half] = q8_pairs(l1, h1);
    acc[4 + half] = q8_pairs(l2, h2);
    acc[6 + half] = q8_pairs(l3, h3);
  }
}
#endif

/*
 * y [M, N] = dequantize(sum (xq - zp) * wq) + bias, with xq, sx, zp from q8_quantize_rows (rows of Kp bytes), p
 * and wsum from q8_pack, sw [N] the weight scales, bias [N] or 0. Tiles of four rows (the last block repeats its
 * last row, whose duplicate results are not stored) by eight columns. Each output depends only on its own row.
 * gelu != 0: y = gelu(y) (torch F.gelu, exact erf) fused in, applied to each strip of four rows as soon as it is
 * written (4 * N floats, still in L1 / L2) by gelu_erf itself: vgelu works lane by lane (one_plus_erf's branch
 * only skips a tail every lane discards), so it is bit for bit q8_gemm then gelu_erf over y, one pass over y less.
 */
INLINE void q8_gemm_body(const q8_act* xq, const f32* sx, const int32_t* zp, const i8* p, const int32_t* wsum, const f32* sw,
                         const f32* bias, f32* y, int32_t M, int32_t Kp, int32_t N, int32_t pairs, int32_t gelu) {
  for (int32_t m0 = 0; m0 < M; m0 += 4) {
    const int32_t rows = M - m0 < 4 ? M - m0 : 4;
    const q8_act* x0 = xq + (int64_t)m0 * Kp;
    const q8_act* x1 = rows > 1 ? x0 + Kp : x0;
    const q8_act* x2 = rows > 2 ? x0 + 2 * Kp : x1;
    const q8_act* x3 = rows > 3 ? x0 + 3 * Kp : x2;
    for (int32_t n0 = 0; n0 < N; n0 += 8) {
      const int32_t cols = N - n0 < 8 ? N - n0 : 8;
      v128_t acc[8];
#ifdef STFJS_RELAXED
      if (pairs)
        q8_tile_pairs(acc, x0, x1, x2, x3, p + (int64_t)n0 * Kp, Kp);
      else
#endif
        q8_tile(acc, x0, x1, x2, x3, p + (int64_t)n0 * Kp, Kp);
      const f32* b0 = bias ? bias + n0 : 0;
      const f32* b1 = bias ? bias + n0 + 4 : 0;
#define Q8_ROW(r)                                                                                          \
  if (rows > r) {                                                                                          \
    const int32_t m = m0 + r;                                                                              \
    f32* yr = y + (int64_t)m * N + n0;                                                                     \
    q8_store4(yr, acc[2 * r], zp[m], sx[m], wsum + n0, sw + n0, b0, cols);                                 \
    if (cols > 4) q8_store4(yr + 4, acc[2 * r + 1], zp[m], sx[m], wsum + n0 + 4, sw + n0 + 4, b1, cols - 4); \
  }
      Q8_ROW(0)
      Q8_ROW(1)
      Q8_ROW(2)
      Q8_ROW(3)
#undef Q8_ROW
    }
    if (gelu) gelu_erf(y + (int64_t)m0 * N, y + (int64_t)m0 * N, rows * N);
  }
  (void)pairs;
}

EXPORT(q8_gemm)
void q8_gemm(const q8_act* xq, const f32* sx, const int32_t* zp, const i8* p, const int32_t* wsum, const f32* sw,
             const f32* bias, f32* y, int32_t M, int32_t Kp, int32_t N, int32_t gelu) {
  q8_gemm_body(xq, sx, zp, p, wsum, sw, bias, y, M, Kp, N, 0, gelu);
}

/*
 * q8_gemm with q8_tile_pairs (relaxed build; the plain build has one tile, and this is q8_gemm): the same bits.
 * Which of the two is faster depends on how the engine lowers the relaxed dot product (see q8_tile_pairs);
 * src/kernels/wasm_kernels.ts picks one by timing both on the first calls.
 */
EXPORT(q8_gemm_pairs)
void q8_gemm_pairs(const q8_act* xq, const f32* sx, const int32_t* zp, const i8* p, const int32_t* wsum, const f32* sw,
                   const f32* bias, f32* y, int32_t M, int32_t Kp, int32_t N, int32_t gelu) {
  q8_gemm_body(xq, sx, zp, p, wsum, sw, bias, y, M, Kp, N, 1, gelu);
}

/*
 * The int8 GEMM with activation scales per group of G consecutive k (issue 17: the attention output projection, whose
 * input row is the concatenation of heads of different magnitudes; G = head_dim gives each head its own 7-bit scale).
 * xq, sx, zp come from q8_quantize_rows over the [M * K / G, G] view of x (rows of G values: sx[m * ng + g], ng = Kp /
 * G), p from q8_pack of the whole [N, K] weight, gsum [ng, Np] (Np = N rounded up to 8, zeros past N) the weight's
 * sums over each group, gsum[g * Np + n] = sum_{k in group g} wq[n, k]. G a multiple of 4 that divides K (so Kp = K).
 *   f[m, n] = sum over g in order of float(acc_g[m, n] - zp[m, g] * gsum[g, n]) * sx[m, g]   (float32 mul, then add)
 *   y[m, n] = f[m, n] * sw[n] + bias[n]
 * acc_g are the exact int32 sums of q8_tile / q8_tile_pairs over the group's k (|acc_g| <= 127 * 127 * G < 2^24 for
 * G <= 1040, so float() is exact); the float operations are the same in the same order on every path (the stock
 * path in src/kernels/q8.ts, the scalar reference in test/q8.test.ts).
 */
INLINE void q8_store4f(f32* y, v128_t f, const f32* sw, const f32* bias, int32_t cols) {
  v128_t s, b = wasm_f32x4_splat(0.0f);
  if (cols >= 4) {
    s = wasm_v128_load(sw);
    if (bias) b = wasm_v128_load(bias);
  } else {
    s = wasm_f32x4_make(sw[0], cols > 1 ? sw[1] : 0.0f, cols > 2 ? sw[2] : 0.0f, 0.0f);
    if (bias) b = wasm_f32x4_make(bias[0], cols > 1 ? bias[1] : 0.0f, cols > 2 ? bias[2] : 0.0f, 0.0f);
  }
  v128_t v = wasm_f32x4_mul(f, s);
  if (bias) v = wasm_f32x4_add(v, b);
  if (cols >= 4) {
    wasm_v128_store(y, v);
    return;
  }
  if (cols > 0) y[0] = wasm_f32x4_extract_lane(v, 0);
  if (cols > 1) y[1] = wasm_f32x4_extract_lane(v, 1);
  if (cols > 2) y[2] = wasm_f32x4_extract_lane(v, 2);
}

/*
 * The last panel of fewer than eight columns (N not a multiple of 8): the float sums in registers (no room past N
 * in y), q8_store4f storing only its columns. f += float(acc - zp * gsum) * sx per group (the repeated last row past
 * `rows` too; not stored).
 */
INLINE void q8_grouped_last_panel(const q8_act* x0, const q8_act* x1, const q8_act* x2, const q8_act* x3, const int32_t* zr, const f32* sr,
                                  const i8* p, const int32_t* gsum, const f32* sw, const f32* bias, f32* yr, int32_t rows, int32_t Kp,
                                  int32_t N, int32_t G, int32_t pairs, int32_t small) {
  const int32_t ng = Kp / G, np = (N + 7) & ~7, n0 = N & ~7, cols = N - n0;
  v128_t f0 = wasm_f32x4_splat(0.0f), f1 = f0, f2 = f0, f3 = f0, f4 = f0, f5 = f0, f6 = f0, f7 = f0;
  for (int32_t g = 0; g < ng; g++) {
    const int32_t kg = g * G;
    v128_t acc[8];
#ifdef STFJS_RELAXED
    if (pairs)
      q8_tile_pairs(acc, x0 + kg, x1 + kg, x2 + kg, x3 + kg, p + (int64_t)n0 * Kp + (int64_t)kg * 8, G);
    else
#endif
      q8_tile(acc, x0 + kg, x1 + kg, x2 + kg, x3 + kg, p + (int64_t)n0 * Kp + (int64_t)kg * 8, G);
    const v128_t ws0 = wasm_v128_load(gsum + (int64_t)g * np + n0), ws1 = wasm_v128_load(gsum + (int64_t)g * np + n0 + 4);
#define Q8_GROUP_ROW(r, fa, fb)                                                                                \
  {                                                                                                            \
    const int32_t i = (r < rows ? r : rows - 1) * ng + g;                                                      \
    const v128_t z = wasm_v128_load32_splat(zr + i), s = wasm_v128_load32_splat(sr + i);                       \
    const v128_t zg0 = small ? wasm_i32x4_dot_i16x8(ws0, z) : wasm_i32x4_mul(ws0, z);                          \
    const v128_t zg1 = small ? wasm_i32x4_dot_i16x8(ws1, z) : wasm_i32x4_mul(ws1, z);                          \
    fa = wasm_f32x4_add(fa, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(wasm_i32x4_sub(acc[2 * r], zg0)), s));     \
    fb = wasm_f32x4_add(fb, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(wasm_i32x4_sub(acc[2 * r + 1], zg1)), s)); \
  }
    Q8_GROUP_ROW(0, f0, f1)
    Q8_GROUP_ROW(1, f2, f3)
    Q8_GROUP_ROW(2, f4, f5)
    Q8_GROUP_ROW(3, f6, f7)
#undef Q8_GROUP_ROW
  }
#define Q8_GROUP_STORE(r, fa, fb)                                                         \
  if (rows > r) {                                                                         \
    q8_store4f(yr + (int64_t)r * N + n0, fa, sw + n0, bias ? bias + n0 : 0, cols);         \
    if (cols > 4) q8_store4f(yr + (int64_t)r * N + n0 + 4, fb, sw + n0 + 4, bias ? bias + n0 + 4 : 0, cols - 4); \
  }
  Q8_GROUP_STORE(0, f0, f1)
  Q8_GROUP_STORE(1, f2, f3)
  Q8_GROUP_STORE(2, f4, f5)
  Q8_GROUP_STORE(3, f6, f7)
#undef Q8_GROUP_STORE
  (void)pairs;
}

/*
 * The grouped GEMM's body. Full panels of eight columns: per group, the 4 x 8 tile of q8_gemm over the group's G / 4
 * blocks of four k (relaxed build: q8_tile_from / q8_tile_pairs_from, instruction for instruction q8_tile's and
 * q8_tile_pairs' loops, started from -zp * gsum, so that they end as acc - zp * gsum with no subtraction; plain
 * build: q8_tile, then the subtraction), then each row's term float(.) * sx is added to the float sums held in y
 * (four rows by eight floats, in L1), and after the last group y = y * sw + bias. Holding the tile's eight float sums
 * in registers instead (the first version) left V8 more live vectors than its sixteen registers during the tile,
 * and the grouped GEMM ran at ~0.77x of q8_gemm. A last panel of fewer than eight columns keeps its sums in
 * registers (q8_store4f stores only its columns). Scales and zero points are splat-loaded (v128.load32_splat).
 * zp * gsum: one i32x4.dot_i16x8_s (pmaddwd) of gsum's lanes (low halves gsum or -gsum, high halves 0 or -1, as
 * |gsum| <= 127 G < 2^15 for G <= 256: `small`) by (zp, 0) pairs (zp in [0, 127]), exact; i32x4.mul otherwise.
 * Where the time goes (docs/q8.md, session 22): the multiply by sx per group shares the pipes of the dot-adds.
 */
INLINE void q8_grouped_body(const q8_act* xq, const f32* sx, const int32_t* zp, const i8* p, const int32_t* gsum, const f32* sw,
                            const f32* bias, f32* y, int32_t M, int32_t Kp, int32_t N, int32_t G, int32_t pairs, int32_t small) {
  const int32_t ng = Kp / G, np = (N + 7) & ~7, nfull = N & ~7;
  for (int32_t m0 = 0; m0 < M; m0 += 4) {
    const int32_t rows = M - m0 < 4 ? M - m0 : 4;
    const q8_act* x0 = xq + (int64_t)m0 * Kp;
    const q8_act* x1 = rows > 1 ? x0 + Kp : x0;
    const q8_act* x2 = rows > 2 ? x0 + 2 * Kp : x1;
    const q8_act* x3 = rows > 3 ? x0 + 3 * Kp : x2;
    const int32_t* zr = zp + (int64_t)m0 * ng;
    const f32* sr = sx + (int64_t)m0 * ng;
    f32* yr = y + (int64_t)m0 * N;
    /* row r's zero points from zr + zo[r] (the repeated last row past `rows`) */
    int32_t zo[4];
    for (int32_t r = 0; r < 4; r++) zo[r] = (r < rows ? r : rows - 1) * ng;
    for (int32_t n0 = 0; n0 < nfull; n0 += 8) {
      for (int32_t g = 0; g < ng; g++) {
        const int32_t kg = g * G;
        const i8* pg = p + (int64_t)n0 * Kp + (int64_t)kg * 8;
        v128_t acc[8];
#ifdef STFJS_RELAXED
        /* the sums start from -zp * gsum (exact), so they end as acc - zp * gsum */
        const v128_t nws0 = wasm_i32x4_neg(wasm_v128_load(gsum + (int64_t)g * np + n0));
        const v128_t nws1 = wasm_i32x4_neg(wasm_v128_load(gsum + (int64_t)g * np + n0 + 4));
        for (int32_t r = 0; r < 4; r++) {
          const v128_t z = wasm_v128_load32_splat(zr + zo[r] + g);
          acc[2 * r] = small ? wasm_i32x4_dot_i16x8(nws0, z) : wasm_i32x4_mul(nws0, z);
          acc[2 * r + 1] = small ? wasm_i32x4_dot_i16x8(nws1, z) : wasm_i32x4_mul(nws1, z);
        }
        if (pairs)
          q8_tile_pairs_from(acc, x0 + kg, x1 + kg, x2 + kg, x3 + kg, pg, G);
        else
          q8_tile_from(acc, x0 + kg, x1 + kg, x2 + kg, x3 + kg, pg, G);
#define Q8_GROUP_TERM(r, c) wasm_f32x4_mul(wasm_f32x4_convert_i32x4(acc[2 * r + c]), s)
#else
        q8_tile(acc, x0 + kg, x1 + kg, x2 + kg, x3 + kg, pg, G);
        const v128_t ws0 = wasm_v128_load(gsum + (int64_t)g * np + n0), ws1 = wasm_v128_load(gsum + (int64_t)g * np + n0 + 4);
        const v128_t z0 = wasm_v128_load32_splat(zr + zo[0] + g), z1 = wasm_v128_load32_splat(zr + zo[1] + g);
        const v128_t z2 = wasm_v128_load32_splat(zr + zo[2] + g), z3 = wasm_v128_load32_splat(zr + zo[3] + g);
        const v128_t zz[4] = {z0, z1, z2, z3};
#define Q8_GROUP_TERM(r, c) \
  wasm_f32x4_mul(wasm_f32x4_convert_i32x4(wasm_i32x4_sub(acc[2 * r + c], small ? wasm_i32x4_dot_i16x8(c ? ws1 : ws0, zz[r]) : wasm_i32x4_mul(c ? ws1 : ws0, zz[r]))), s)
#endif
/* row r's term into y (rows past `rows`, repeats of the last row, are not stored) */
#define Q8_GROUP_ROW(r)                                                                                 \
  if (rows > r) {                                                                                       \
    const v128_t s = wasm_v128_load32_splat(sr + r * ng + g);                                           \
    f32* yo = yr + (int64_t)r * N + n0;                                                                 \
    wasm_v128_store(yo, wasm_f32x4_add(g == 0 ? wasm_f32x4_splat(0.0f) : wasm_v128_load(yo), Q8_GROUP_TERM(r, 0)));         \
    wasm_v128_store(yo + 4, wasm_f32x4_add(g == 0 ? wasm_f32x4_splat(0.0f) : wasm_v128_load(yo + 4), Q8_GROUP_TERM(r, 1))); \
  }
        Q8_GROUP_ROW(0)
        Q8_GROUP_ROW(1)
        Q8_GROUP_ROW(2)
        Q8_GROUP_ROW(3)
#undef Q8_GROUP_ROW
#undef Q8_GROUP_TERM
      }
      for (int32_t r = 0; r < rows; r++) {
        f32* yo = yr + (int64_t)r * N + n0;
        q8_store4f(yo, wasm_v128_load(yo), sw + n0, bias ? bias + n0 : 0, 4);
        q8_store4f(yo + 4, wasm_v128_load(yo + 4), sw + n0 + 4, bias ? bias + n0 + 4 : 0, 4);
      }
    }
    if (nfull < N) q8_grouped_last_panel(x0, x1, x2, x3, zr, sr, p, gsum, sw, bias, yr, rows, Kp, N, G, pairs, small);
  }
  (void)pairs;
}

EXPORT(q8_gemm_grouped)
void q8_gemm_grouped(const q8_act* xq, const f32* sx, const int32_t* zp, const i8* p, const int32_t* gsum, const f32* sw,
                     const f32* bias, f32* y, int32_t M, int32_t Kp, int32_t N, int32_t G, int32_t pairs) {
  /* four instantiations: neither the tile's choice nor the zero-point product's is tested inside the loops */
  if (G <= 256) {
    if (pairs)
      q8_grouped_body(xq, sx, zp, p, gsum, sw, bias, y, M, Kp, N, G, 1, 1);
    else
      q8_grouped_body(xq, sx, zp, p, gsum, sw, bias, y, M, Kp, N, G, 0, 1);
  } else if (pairs) {
    q8_grouped_body(xq, sx, zp, p, gsum, sw, bias, y, M, Kp, N, G, 1, 0);
  } else {
    q8_grouped_body(xq, sx, zp, p, gsum, sw, bias, y, M, Kp, N, G, 0, 0);
  }
}

/* ================================================================================================================
 * BACKWARD: gradients of the kernels above, for training on wasm (registered by wasm_kernels.ts, chosen by ops.ts).
 * Same numbers as the stock-op gradients to float32 rounding (test/kernels_backward.test.ts). Every routine here
 * only writes the outputs it is given.
 * ================================================================================================================ */

/*
 * Transposed weights packed for gemm_bias: the panels of w^T, for w [K, N] (row stride ldw) taken as a [N, K]
 * matrix, written as rows [off, off + N) of a packed [ld, K] matrix: p[panel][off + n][0..8) = w[8 * panel + 0..8][n]
 * (zero past K). With it, dX = dY w^T is gemm_bias(dY, p, 0, dX, M, ld, K). p holds ceil(K / 8) * 8 * ld floats.
 */
EXPORT(pack_panels_t)
void pack_panels_t(const f32* w, f32* p, int32_t K, int32_t N, int32_t ld, int32_t off) {
  for (int32_t k0 = 0; k0 < K; k0 += 8) {
    f32* dst = p + (int64_t)k0 * ld + (int64_t)off * 8;
    const int32_t rows = K - k0 < 8 ? K - k0 : 8;
    for (int32_t n = 0; n < N; n++) {
      int32_t j = 0;
      for (; j < rows; j++) dst[n * 8 + j] = w[(int64_t)(k0 + j) * N + n];
      for (; j < 8; j++) dst[n * 8 + j] = 0.0f;
    }
  }
}

/* pack_panels of columns [c0, c0 + N) of x [K, ldx] (row stride ldx): the right operand of dW = X^T dY. */
EXPORT(pack_panels_ld)
void pack_panels_ld(const f32* x, f32* p, int32_t K, int32_t N, int32_t ldx, int32_t c0) {
  for (int32_t n0 = 0; n0 < N; n0 += 8) {
    f32* dst = p + (int64_t)n0 * K;
    const int32_t cols = N - n0 < 8 ? N - n0 : 8;
    for (int32_t k = 0; k < K; k++) {
      const f32* src = x + (int64_t)k * ldx + c0 + n0;
      int32_t j = 0;
      for (; j < cols; j++) dst[k * 8 + j] = src[j];
      for (; j < 8; j++) dst[k * 8 + j] = 0.0f;
    }
  }
}

/* out [N, M] = x^T for x [M, N], in tiles of 8 x 8 (cache-friendly both ways). */
EXPORT(transpose2d)
void transpose2d(const f32* x, f32* out, int32_t M, int32_t N) {
  for (int32_t m0 = 0; m0 < M; m0 += 8) {
    const int32_t me = M - m0 < 8 ? M : m0 + 8;
    for (int32_t n0 = 0; n0 < N; n0 += 8) {
      const int32_t ne = N - n0 < 8 ? N : n0 + 8;
      for (int32_t m = m0; m < me; m++) {
        for (int32_t n = n0; n < ne; n++) out[(int64_t)n * M + m] = x[(int64_t)m * N + n];
      }
    }
  }
}

/* out[n] = sum over rows m of x[m, c0 + n] (row stride ldx), rows in order: a bias gradient. */
EXPORT(col_sum)
void col_sum(const f32* x, f32* out, int32_t M, int32_t N, int32_t ldx, int32_t c0) {
  int32_t n = 0;
  for (; n + 4 <= N; n += 4) {
    v128_t acc = wasm_f32x4_splat(0.0f);
    for (int32_t m = 0; m < M; m++) acc = wasm_f32x4_add(acc, wasm_v128_load(x + (int64_t)m * ldx + c0 + n));
    wasm_v128_store(out + n, acc);
  }
  for (; n < N; n++) {
    f32 s = 0.0f;
    for (int32_t m = 0; m < M; m++) s += x[(int64_t)m * ldx + c0 + n];
    out[n] = s;
  }
}

/* d/dx of torch's exact GELU: Phi(x) + x phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2, phi(x) = exp(-x^2 / 2) / sqrt(2 pi). */
INLINE v128_t vgelu_grad(v128_t x) {
  v128_t cdf = wasm_f32x4_mul(vsplat(0.5f), one_plus_erf(wasm_f32x4_mul(x, vsplat(0.70710678118654752f))));
  v128_t pdf = wasm_f32x4_mul(vexp(wasm_f32x4_mul(wasm_f32x4_mul(x, x), vsplat(-0.5f))), vsplat(0.39894228040143268f));
  return wasm_f32x4_add(cdf, wasm_f32x4_mul(x, pdf));
}

/* dx = dy * gelu'(x), n floats. */
EXPORT(gelu_erf_grad)
void gelu_erf_grad(const f32* x, const f32* dy, f32* dx, int32_t n) {
  int32_t i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(dx + i, wasm_f32x4_mul(wasm_v128_load(dy + i), vgelu_grad(wasm_v128_load(x + i))));
  for (; i < n; i++) dx[i] = dy[i] * wasm_f32x4_extract_lane(vgelu_grad(vsplat(x[i])), 0);
}

/*
 * Gradient of add_layer_norm: z = x + residual (residual may be 0), xhat = (z - mean) * rstd, out = xhat gamma + beta.
 * dz = rstd (g - mean(g) - xhat mean(g xhat)) with g = dy gamma; dgamma = sum over rows of dy xhat, dbeta = sum of dy
 * (rows in order). The statistics are recomputed as the forward computes them. scratch: 2h floats.
 */
EXPORT(add_layer_norm_grad)
void add_layer_norm_grad(const f32* x, const f32* residual, const f32* gamma, const f32* dy, f32* dx, f32* dgamma, f32* dbeta,
                         f32* scratch, int32_t rows, int32_t h, f32 eps) {
  for (int32_t i = 0; i < h; i++) dgamma[i] = dbeta[i] = 0.0f;
  f32* s = scratch;
  f32* g = scratch + h;
  for (int32_t r = 0; r < rows; r++) {
    const f32* xr = x + (int64_t)r * h;
    const f32* d = dy + (int64_t)r * h;
    f32* o = dx + (int64_t)r * h;
    if (residual) {
      const f32* rr = residual + (int64_t)r * h;
      for (int32_t i = 0; i < h; i++) s[i] = xr[i] + rr[i];
    } else {
      for (int32_t i = 0; i < h; i++) s[i] = xr[i];
    }
    const f32 mean = row_sum(s, h) / (f32)h;
    f32 var = 0.0f;
    for (int32_t i = 0; i < h; i++) {
      s[i] -= mean;
      var += s[i] * s[i];
    }
    const f32 rstd = 1.0f / __builtin_sqrtf(var / (f32)h + eps);
    f32 sg = 0.0f, sgx = 0.0f;
    for (int32_t i = 0; i < h; i++) {
      const f32 xh = s[i] * rstd;
      s[i] = xh;
      g[i] = d[i] * gamma[i];
      sg += g[i];
      sgx += g[i] * xh;
      dgamma[i] += d[i] * xh;
      dbeta[i] += d[i];
    }
    const f32 mg = sg / (f32)h, mgx = sgx / (f32)h;
    for (int32_t i = 0; i < h; i++) o[i] = rstd * (g[i] - mg - s[i] * mgx);
  }
}

/* Gradient of gather_rows: table gradient [num, dim] = 0, then row ids[i] += dy[i] for i in order (ids outside [0, num) add nothing). */
EXPORT(scatter_add_rows)
void scatter_add_rows(const f32* dy, const int32_t* ids, f32* out, int32_t n, int32_t dim, int32_t num) {
  for (int64_t i = 0; i < (int64_t)num * dim; i++) out[i] = 0.0f;
  for (int32_t i = 0; i < n; i++) {
    const int32_t id = ids[i];
    if (id < 0 || id >= num) continue;
    f32* o = out + (int64_t)id * dim;
    const f32* src = dy + (int64_t)i * dim;
    int32_t c = 0;
    for (; c + 4 <= dim; c += 4) wasm_v128_store(o + c, wasm_f32x4_add(wasm_v128_load(o + c), wasm_v128_load(src + c)));
    for (; c < dim; c++) o[c] += src[c];
  }
}

INLINE f32 dot_d(const f32* a, const f32* b, int32_t d) {
  v128_t acc = wasm_f32x4_splat(0.0f);
  int32_t c = 0;
  for (; c + 4 <= d; c += 4) acc = MADD(acc, wasm_v128_load(a + c), wasm_v128_load(b + c));
  f32 s = hsum(acc);
  for (; c < d; c++) s += a[c] * b[c];
  return s;
}

/* y[0..d) += a * x[0..d). */
INLINE void axpy_d(f32* y, f32 a, const f32* x, int32_t d) {
  v128_t va = vsplat(a);
  int32_t c = 0;
  for (; c + 4 <= d; c += 4) wasm_v128_store(y + c, MADD(wasm_v128_load(y + c), va, wasm_v128_load(x + c)));
  for (; c < d; c++) y[c] += a * x[c];
}

/* Floats of scratch attention_grad needs: 2 T (a query's probabilities and dP) + 4. */
EXPORT(attention_grad_scratch_floats)
int32_t attention_grad_scratch_floats(int32_t t) { return 2 * t + 8; }

/*
 * Gradient of attention() (same arguments and layouts; dout [B, T, heads*d] is the context's gradient): dq, dk, dv
 * written with q's and k/v's row strides (ldq, ldkv) and column offsets, so that for a fused qkv (ldq = ldkv = 3H,
 * dk = dq + H, dv = dq + 2H) they fill one [B, T, 3H] gradient. dbias (when bias): [bias_batch, heads, T, T], the
 * scores' gradient (summed over the batch when bias_batch is 1).
 * Per (batch, query head, query i) the probabilities are recomputed exactly as the softmax defines them (the
 * query's allowed keys; uniform over all T when none is left), then dP_j = dO_i . v_j, dS_j = P_j (dP_j - sum P dP),
 * dq_i = c sum_j dS_j k_j, dk_j += c dS_j q_i, dv_j += P_j dO_i (c: the scale on the raw scores). dS is 0 at the
 * keys outside the causal / window range and, with `fill` (DistilBERT's masked_fill), at padding keys: what the
 * stock gradient gives (it only differs from P-times-something in a row with no key left).
 * Memory O(T) scratch; the work is the forward's twice over, with no T x T buffer.
 */
EXPORT(attention_grad)
void attention_grad(const f32* q, const f32* k, const f32* v, int32_t ldq, int32_t ldkv, const int32_t* mask, const f32* bias,
                    int32_t bias_batch, const f32* dout, f32* dq, f32* dk, f32* dv, f32* dbias, f32* scratch, int32_t B, int32_t T,
                    int32_t heads, int32_t kv_heads, int32_t d, f32 scale, int32_t scale_mode, int32_t causal, int32_t window,
                    int32_t fill) {
  f32* P = scratch;
  f32* dP = scratch + T;
  const int32_t hd = heads * d;
  const int32_t rep = heads / kv_heads;
  const f32 c = scale_mode == SCALE_DIV_SCORES || scale_mode == SCALE_DIV_QUERY ? 1.0f / scale : scale;
  const int32_t qmode = scale_mode == SCALE_DIV_QUERY || scale_mode == SCALE_MUL_QUERY;
  for (int32_t b = 0; b < B; b++) {
    for (int32_t i = 0; i < T; i++) {
      for (int32_t u = 0; u < hd; u++) dq[(int64_t)(b * T + i) * ldq + u] = 0.0f;
      for (int32_t u = 0; u < kv_heads * d; u++) dk[(int64_t)(b * T + i) * ldkv + u] = dv[(int64_t)(b * T + i) * ldkv + u] = 0.0f;
    }
  }
  if (dbias) {
    for (int64_t u = 0; u < (int64_t)bias_batch * heads * T * T; u++) dbias[u] = 0.0f;
  }
  for (int32_t b = 0; b < B; b++) {
    for (int32_t h = 0; h < heads; h++) {
      const int32_t qcol = h * d, kcol = (h / rep) * d;
      const f32* hb = bias ? bias + (int64_t)((bias_batch == 1 ? 0 : b) * heads + h) * T * T : 0;
      f32* db = dbias ? dbias + (int64_t)((bias_batch == 1 ? 0 : b) * heads + h) * T * T : 0;
      for (int32_t i = 0; i < T; i++) {
        const f32* qi = q + (int64_t)(b * T + i) * ldq + qcol;
        const f32* doi = dout + (int64_t)(b * T + i) * hd + qcol;
        int32_t a = 0, e = T;
        if (causal) {
          e = i + 1;
          if (window >= 0 && i - window + 1 > 0) a = i - window + 1;
        } else if (window >= 0) {
          a = i - window > 0 ? i - window : 0;
          e = i + window + 1 < T ? i + window + 1 : T;
        }
        /* Scores of the allowed keys (-inf elsewhere), their maximum. */
        f32 mx = -__builtin_inff();
        int32_t any = 0;
        for (int32_t j = 0; j < T; j++) {
          const int32_t ok = j >= a && j < e && (!mask || mask[b * T + j] != 0);
          if (!ok) {
            P[j] = -__builtin_inff();
            continue;
          }
          const f32* kj = k + (int64_t)(b * T + j) * ldkv + kcol;
          f32 s = dot_d(qi, kj, d) * c;
          if (hb) s += hb[(int64_t)i * T + j];
          P[j] = s;
          mx = s > mx ? s : mx;
          any = 1;
        }
        if (!any) {
          for (int32_t j = 0; j < T; j++) P[j] = 1.0f / (f32)T;
        } else {
          f32 sum = 0.0f;
          int32_t j = 0;
          for (; j + 4 <= T; j += 4) {
            v128_t x = wasm_v128_load(P + j);
            v128_t live = wasm_f32x4_gt(x, vsplat(-__builtin_inff()));
            v128_t ex = wasm_v128_and(vexp(wasm_f32x4_sub(wasm_v128_bitselect(x, vsplat(mx), live), vsplat(mx))), live);
            wasm_v128_store(P + j, ex);
            sum += hsum(ex);
          }
          for (; j < T; j++) {
            const f32 ex = P[j] == -__builtin_inff() ? 0.0f : wasm_f32x4_extract_lane(vexp(vsplat(P[j] - mx)), 0);
            P[j] = ex;
            sum += ex;
          }
          const f32 inv = 1.0f / sum;
          for (j = 0; j < T; j++) P[j] *= inv;
        }
        /* dP, and D = sum P dP. */
        f32 D = 0.0f;
        for (int32_t j = 0; j < T; j++) {
          if (P[j] == 0.0f) {
            dP[j] = 0.0f;
            continue;
          }
          dP[j] = dot_d(doi, v + (int64_t)(b * T + j) * ldkv + kcol, d);
          D += P[j] * dP[j];
        }
        f32* dqi = dq + (int64_t)(b * T + i) * ldq + qcol;
        for (int32_t j = 0; j < T; j++) {
          const f32 p = P[j];
          if (p == 0.0f) continue;
          const int32_t blocked = j < a || j >= e || (fill && mask && mask[b * T + j] == 0);
          const f32 ds = blocked ? 0.0f : p * (dP[j] - D);
          axpy_d(dv + (int64_t)(b * T + j) * ldkv + kcol, p, doi, d);
          if (db) db[(int64_t)i * T + j] += ds;
          if (ds == 0.0f) continue;
          const f32* kj = k + (int64_t)(b * T + j) * ldkv + kcol;
          axpy_d(dqi, c * ds, kj, d);
          axpy_d(dk + (int64_t)(b * T + j) * ldkv + kcol, c * ds, qi, d);
        }
        (void)qmode;
      }
    }
  }
}

/* ==== OPTIMIZER: AdamW (torch.optim.AdamW, single-tensor path), one fused pass per parameter ====================
 * Every op in float32, in torch's order, with the scalars precomputed (in double, rounded to float32) by the caller
 * (src/training/optimizer.ts), so the result is bit-identical to the elementwise-op formula there:
 *   p' = p * decay;  m' = m * b1 + g * omb1;  v' = v * b2 + (g * omb2) * g   (m = v = 0 absent: m' = g * omb1 ...)
 *   p' = p' + (m' * step_size) / (sqrt(v') / bc2 + eps)
 * has_state = 0 for the first step (no moments yet; m and v are not read). Writes p_out, m_out, v_out (n floats). */
EXPORT(adamw_step)
void adamw_step(const f32* p, const f32* g, const f32* m, const f32* v, f32* p_out, f32* m_out, f32* v_out, int32_t n,
                int32_t has_state, f32 b1, f32 omb1, f32 b2, f32 omb2, f32 decay, f32 bc2, f32 step_size, f32 eps) {
  int32_t i = 0;
  const v128_t vb1 = vsplat(b1), vomb1 = vsplat(omb1), vb2 = vsplat(b2), vomb2 = vsplat(omb2);
  const v128_t vdecay = vsplat(decay), vbc2 = vsplat(bc2), vstep = vsplat(step_size), veps = vsplat(eps);
  for (; i + 4 <= n; i += 4) {
    const v128_t gi = wasm_v128_load(g + i);
    v128_t mi = wasm_f32x4_mul(gi, vomb1);
    v128_t vi = wasm_f32x4_mul(wasm_f32x4_mul(gi, vomb2), gi);
    if (has_state) {
      mi = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(m + i), vb1), mi);
      vi = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(v + i), vb2), vi);
    }
    const v128_t denom = wasm_f32x4_add(wasm_f32x4_div(wasm_f32x4_sqrt(vi), vbc2), veps);
    const v128_t pi = wasm_f32x4_mul(wasm_v128_load(p + i), vdecay);
    wasm_v128_store(p_out + i, wasm_f32x4_add(pi, wasm_f32x4_div(wasm_f32x4_mul(mi, vstep), denom)));
    wasm_v128_store(m_out + i, mi);
    wasm_v128_store(v_out + i, vi);
  }
  for (; i < n; i++) {
    const f32 gi = g[i];
    f32 mi = gi * omb1;
    f32 vi = (gi * omb2) * gi;
    if (has_state) {
      mi = m[i] * b1 + mi;
      vi = v[i] * b2 + vi;
    }
    const f32 denom = wasm_f32x4_extract_lane(wasm_f32x4_sqrt(vsplat(vi)), 0) / bc2 + eps;
    p_out[i] = p[i] * decay + (mi * step_size) / denom;
    m_out[i] = mi;
    v_out[i] = vi;
  }
}
