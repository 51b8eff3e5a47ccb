/**
 * sentence-tfjs web demo: load a sentence-transformers model folder from a URL (cached with the Cache API),
 * embed a small corpus with the model's document prompt (`encodeDocument`), and search it as you type with its
 * query prompt (`encodeQuery`), as `sentence-tfjs search` does; optionally rerank the best hits with a
 * cross-encoder. Heatmaps of the corpus similarity matrix and of one attention head for a chosen text, layer and
 * head (from the forward pass's attentions), labelled with each token's decoded text.
 *
 * URL parameters: `?model=<folder URL>` (default ./models/tiny-bert), `&device=auto|webgpu|webgl|wasm`,
 * `&reranker=<cross-encoder folder URL>` (optional: rerank the top hits).
 * Built and served by `npm run demo:web` (scripts/serve-web-demo.ts).
 */
import { CrossEncoder } from '../../src/api/cross_encoder.js';
import { SentenceTransformer } from '../../src/api/sentence_transformer.js';
import { initBackend, type DeviceName } from '../../src/backends/index.js';
import { CORPUS } from './corpus.js';
import { drawHeatmap } from './heatmap.js';

/** What the page exposes for tests and curious users (window.demoState). */
interface DemoState {
  ready: boolean;
  error?: string;
  device?: string;
  loadMs?: number;
  query: string;
  /** Corpus indices by descending cosine similarity to the query, with scores. */
  results: { index: number; score: number }[];
  /** Number of completed searches (tests wait for it to move). */
  searches: number;
  /** The prompts applied (from the model's config_sentence_transformers.json), or null when it has none. */
  prompts?: { query: string | null; document: string | null };
  /** With `?reranker=`: the top hits rescored by the cross-encoder, best first. */
  reranked?: { index: number; score: number }[];
  /** The token labels of the attention map as drawn. */
  tokens?: string[];
}

const state: DemoState = { ready: false, query: '', results: [], searches: 0 };
(globalThis as { demoState?: DemoState }).demoState = state;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const params = new URLSearchParams(location.search);
const modelUrl = new URL(params.get('model') ?? 'models/tiny-bert', location.href).href.replace(/\/+$/, '');
const device = (params.get('device') ?? 'auto') as DeviceName | 'auto';
const wasmPaths = new URL('wasm/', location.href).href;
const rerankerUrl = params.get('reranker') ? new URL(params.get('reranker')!, location.href).href.replace(/\/+$/, '') : undefined;
/** How many of the best hits the reranker rescores. */
const RERANK_TOP = 5;


function setStatus(text: string, kind: 'loading' | 'ready' | 'error'): void {
  const el = $<HTMLDivElement>('status');
  el.textContent = text;
  el.dataset.state = kind;
}

function cosineRows(a: Float32Array[], b: Float32Array[]): Float32Array {
  const out = new Float32Array(a.length * b.length);
  const norm = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0)) || 1e-12;
  const nb = b.map(norm);
  a.forEach((x, i) => {
    const na = norm(x);
    b.forEach((y, j) => {
      let d = 0;
      for (let k = 0; k < x.length; k++) d += x[k] * y[k];
      out[i * b.length + j] = d / (na * nb[j]);
    });
  });
  return out;
}

function renderResults(results: { index: number; score: number }[]): void {
  const ol = $<HTMLOListElement>('results');
  const hi = results.length ? results[0].score : 1;
  const lo = results.length ? results[results.length - 1].score : 0;
  ol.replaceChildren(
    ...results.map((r, rank) => {
      const li = document.createElement('li');
      li.dataset.index = String(r.index);
      li.dataset.score = String(r.score);
      const score = document.createElement('span');
      score.className = 'score';
      score.textContent = r.score.toFixed(4);
      const bar = document.createElement('span');
      bar.className = 'bar';
      bar.style.width = `${Math.max(2, Math.round(((r.score - lo) / (hi - lo || 1)) * 60))}px`; // relative to this result list
      score.append(bar);
      const rk = document.createElement('span');
      rk.className = 'rank';
      rk.textContent = String(rank + 1);
      const text = document.createElement('span');
      text.textContent = CORPUS[r.index];
      li.append(rk, score, text);
      return li;
    }),
  );
}

async function main(): Promise<void> {
  $<HTMLSelectElement>('device').value = device;
  $<HTMLInputElement>('model').value = modelUrl;
  const t0 = performance.now();
  setStatus(`Initializing ${device === 'auto' ? 'the default device' : device}…`, 'loading');
  state.device = await initBackend(device === 'auto' ? undefined : device, { wasmPaths, fallbackToCpu: false });
  setStatus(`Loading ${modelUrl} on ${state.device}…`, 'loading');
  const model = await SentenceTransformer.load(modelUrl);
  // The model's own prompts, as `sentence-tfjs search` applies them (encodeQuery / encodeDocument).
  const corpus = await model.encodeDocument(CORPUS);
  state.prompts = {
    query: model.prompts.query ?? null,
    document: ['document', 'passage', 'corpus'].map((p) => model.prompts[p]).find((p) => p !== undefined) ?? null,
  };
  let reranker: CrossEncoder | undefined;
  if (rerankerUrl) {
    setStatus(`Loading the reranker ${rerankerUrl}…`, 'loading');
    reranker = await CrossEncoder.load(rerankerUrl);
  }
  state.loadMs = Math.round(performance.now() - t0);
  if (/tiny-|minilm-l6-full/.test(modelUrl)) {
    const note = $<HTMLParagraphElement>('note');
    note.hidden = false;
    note.textContent = 'This fixture model has random weights: the scores are exact (they match PyTorch), but the ranking carries no meaning. Point ?model= at a trained model folder for real search.';
  }

  // Similarity matrix of the corpus.
  const labels = CORPUS.map((t, i) => `${i}: ${t}`);
  drawHeatmap($<HTMLCanvasElement>('similarity'), cosineRows(corpus, corpus), CORPUS.length, CORPUS.length, { rowLabels: labels, colLabels: labels.map((_, i) => String(i)), cell: 24 });

  // Search as you type (latest query wins).
  const input = $<HTMLInputElement>('query');
  let seq = 0;
  const search = async () => {
    const q = input.value;
    const mine = ++seq;
    if (!q.trim()) {
      state.query = q;
      state.results = [];
      renderResults([]);
      state.searches++;
      return;
    }
    const qe = await model.encodeQuery(q);
    if (mine !== seq) return;
    const scores = cosineRows([qe], corpus);
    const results = Array.from(scores, (score, index) => ({ index, score })).sort((a, b) => b.score - a.score || a.index - b.index);
    let reranked: { index: number; score: number }[] | undefined;
    if (reranker) {
      const top = results.slice(0, RERANK_TOP);
      const ranked = await reranker.rank(q, top.map((r) => CORPUS[r.index]));
      if (mine !== seq) return;
      reranked = ranked.map((r) => ({ index: top[r.corpusId].index, score: r.score }));
    }
    state.query = q;
    state.results = results;
    state.reranked = reranked;
    renderResults(results);
    renderReranked(reranked);
    state.searches++;
    updateAttentionTexts();
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => void search().catch(fail), 120);
  });

  // Attention heatmap: text x layer x head.
  const enc = model.transformer.model;
  const textSel = $<HTMLSelectElement>('att-text');
  const layerSel = $<HTMLSelectElement>('att-layer');
  const headSel = $<HTMLSelectElement>('att-head');
  layerSel.replaceChildren(...Array.from({ length: enc.numLayers }, (_, i) => new Option(String(i), String(i))));
  headSel.replaceChildren(...Array.from({ length: enc.numHeads }, (_, i) => new Option(String(i), String(i))));
  const updateAttentionTexts = () => {
    const keep = textSel.value;
    const opts = [...(input.value.trim() ? [new Option(`query: ${input.value}`, 'query')] : []), ...CORPUS.map((t, i) => new Option(`${i}: ${t}`, String(i)))];
    textSel.replaceChildren(...opts);
    textSel.value = opts.some((o) => o.value === keep) ? keep : opts[0].value;
  };
  const tokenizer = model.tokenizer as { idToToken?(id: number): string | undefined; decode?(ids: number[]): string };
  /**
   * A token's text as a reader sees it: the decoder's output for the one id (byte-level BPE's `Ġ` becomes a space,
   * WordPiece's `##` goes), with a leading space shown as `▁`; the raw token where decoding gives nothing readable.
   */
  const tokenLabel = (id: number): string => {
    const raw = tokenizer.idToToken?.(id) ?? String(id);
    const text = tokenizer.decode?.([id]);
    if (text === undefined || text.trim() === '' || text.includes('\uFFFD')) return raw;
    return text.replace(/^\s+/, '▁').replace(/\s+$/, '');
  };
  const drawAttention = async () => {
    const text = textSel.value === 'query' ? input.value : CORPUS[Number(textSel.value)];
    const layer = Number(layerSel.value);
    const head = Number(headSel.value);
    const out = await model.inspect([text], { outputAttentions: true });
    const att = out[`attentions.${layer}`];
    const [, heads, T] = att.shape;
    const ids = Array.from(out.input_ids.data);
    const tokens = ids.map(tokenLabel);
    state.tokens = tokens;
    const slice = (att.data as Float32Array).subarray(head * T * T, (head + 1) * T * T);
    drawHeatmap($<HTMLCanvasElement>('attention'), slice, T, T, { rowLabels: tokens, colLabels: tokens, min: 0, max: 1, title: `layer ${layer}, head ${head} of ${heads} (rows attend to columns)` });
  };
  for (const s of [textSel, layerSel, headSel]) s.addEventListener('change', () => void drawAttention().catch(fail));
  updateAttentionTexts();
  await drawAttention();

  input.disabled = false;
  input.focus();
  state.ready = true;
  setStatus(`Ready: ${modelUrl.split('/').pop()} on ${state.device}, ${CORPUS.length} sentences embedded in ${state.loadMs} ms (model files cached by the browser's Cache API).`, 'ready');
}

function renderReranked(reranked: { index: number; score: number }[] | undefined): void {
  const section = $<HTMLElement>('rerank-panel');
  section.hidden = reranked === undefined;
  $<HTMLOListElement>('reranked').replaceChildren(
    ...(reranked ?? []).map((r) => {
      const li = document.createElement('li');
      li.dataset.index = String(r.index);
      li.dataset.score = String(r.score);
      li.textContent = `${r.score.toFixed(4)}  ${CORPUS[r.index]}`;
      return li;
    }),
  );
}

function fail(e: unknown): void {
  state.error = (e as Error)?.message ?? String(e);
  setStatus(`Error: ${state.error}`, 'error');
  console.error(e);
}

$<HTMLFormElement>('settings').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const u = new URL(location.href);
  u.searchParams.set('device', $<HTMLSelectElement>('device').value);
  u.searchParams.set('model', $<HTMLInputElement>('model').value);
  location.href = u.href;
});

main().catch(fail);
