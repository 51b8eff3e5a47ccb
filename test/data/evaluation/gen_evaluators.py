"""Records sentence-transformers 6.0.1 evaluator outputs on fixed embeddings / scores (test/data/evaluation/evaluators.json).

Run: /work/venv/bin/python test/data/evaluation/gen_evaluators.py
Stub models return given float32 vectors (bi-encoder) or given scores (cross-encoder), so the TypeScript evaluators
fed the same numbers must return the same metrics. One end-to-end block runs the real evaluators on the fixture
models tiny-bert and tiny-bert-cross-encoder.
"""
import json, os, sys, tempfile
import numpy as np
import torch
import sentence_transformers
from sentence_transformers import util
from sentence_transformers.util.quantization import quantize_embeddings
from sentence_transformers.sentence_transformer.evaluation import (
    EmbeddingSimilarityEvaluator, InformationRetrievalEvaluator, BinaryClassificationEvaluator, TripletEvaluator)
from sentence_transformers.base.evaluation import SequentialEvaluator
from sentence_transformers.cross_encoder.evaluation import (
    CrossEncoderClassificationEvaluator, CrossEncoderCorrelationEvaluator, CrossEncoderRerankingEvaluator)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "evaluators.json")
rng = np.random.default_rng(1234)
DIM = 8


class _Card:
    def set_evaluation_metrics(self, *a, **k):
        pass


class StubEncoder:
    def __init__(self, vectors, similarity_fn_name="cosine"):
        self.vectors = vectors
        self.similarity_fn_name = similarity_fn_name
        self.model_card_data = _Card()

    def encode(self, sentences, convert_to_tensor=False, truncate_dim=None, normalize_embeddings=False, precision=None, **kw):
        # as SentenceTransformer.encode: truncate, normalize, then quantize (ranges from this call's embeddings)
        m = np.stack([np.asarray(self.vectors[s], dtype=np.float32) for s in sentences])
        if truncate_dim is not None:
            m = m[:, :truncate_dim]
        if normalize_embeddings:
            m = torch.nn.functional.normalize(torch.from_numpy(m), p=2, dim=1).numpy()
        if precision and precision != "float32":
            m = quantize_embeddings(m, precision=precision)
        return torch.from_numpy(m) if convert_to_tensor else m

    encode_query = encode
    encode_document = encode

    def similarity(self, a, b):
        return {"cosine": util.cos_sim, "dot": util.dot_score, "euclidean": util.euclidean_sim,
                "manhattan": util.manhattan_sim}[self.similarity_fn_name](a, b)


class StubPredictor:
    def __init__(self, scores, num_labels=1):
        self.scores = scores  # key "q\tdoc" -> score (float or list)
        self.num_labels = num_labels
        self.model_card_data = _Card()

    def predict(self, pairs, **kw):
        return np.asarray([self.scores[p[0] + "\t" + p[1]] for p in pairs], dtype=np.float32)


def vec():
    return rng.standard_normal(DIM).astype(np.float32)


def as_list(v):
    return [float(x) for x in np.asarray(v, dtype=np.float32)]


def clean(d):
    return {k: float(v) for k, v in d.items()}


def run(ev, model, out_dir=None, epoch=-1, steps=-1):
    res = ev(model, output_path=out_dir, epoch=epoch, steps=steps)
    return {"metrics": clean(res), "keys": list(res.keys()), "primary_metric": ev.primary_metric,
            "greater_is_better": getattr(ev, "greater_is_better", None)}


def csv_of(ev, model, calls):
    with tempfile.TemporaryDirectory() as d:
        results = [run(ev, model, d, e, s) for e, s in calls]
        files = sorted(os.listdir(d))
        return results, {f: open(os.path.join(d, f), encoding="utf-8", newline="").read() for f in files}


data = {"generator": "test/data/evaluation/gen_evaluators.py", "sentence_transformers": sentence_transformers.__version__,
        "torch": torch.__version__}

# ---- EmbeddingSimilarityEvaluator / BinaryClassificationEvaluator / TripletEvaluator: one sentence pool
sentences = [f"s{i}" for i in range(24)]
vectors = {s: vec() for s in sentences}
vectors["s23"] = vectors["s22"].copy()  # duplicate vector: tied similarity scores
vectors["s21"] = (vectors["s1"] * 2).astype(np.float32)
data["vectors"] = {s: as_list(v) for s, v in vectors.items()}
s1 = sentences[0:12]
s2 = sentences[12:24]
s2[3] = "s22"; s2[5] = "s23"; s1[3] = "s0"; s1[5] = "s0"  # two pairs with identical scores
gold = [0.0, 1.0, 2.5, 4.0, 2.5, 4.0, 5.0, 3.2, 1.0, 0.5, 2.5, 4.4]
ese_cases = []
for opts, fn_name in [({}, "cosine"), ({}, "dot"), ({"similarity_fn_names": ["cosine", "euclidean", "manhattan", "dot"]}, "cosine"),
                      ({"similarity_fn_names": ["dot", "manhattan"], "name": "sts-dev"}, "cosine"),
                      ({"main_similarity": "euclidean"}, "cosine"),
                      ({"main_similarity": "manhattan", "similarity_fn_names": ["cosine", "manhattan"], "name": "x"}, "cosine"),
                      ({"truncate_dim": 4}, "cosine"),
                      # precision: only float32 works in 6.0.1 (int8 / uint8 / unpacked binary embeddings reach the
                      # pairwise functions as integer tensors: cosine raises, dot / manhattan wrap around in int8)
                      ({"precision": "float32", "similarity_fn_names": ["cosine", "dot", "euclidean", "manhattan"]}, "cosine"),
                      ({"precision": "float32", "name": "q"}, "dot")]:
    ev = EmbeddingSimilarityEvaluator(s1, s2, gold, **opts)
    res, csvs = csv_of(ev, StubEncoder(vectors, fn_name), [(-1, -1), (1, 20)])
    ese_cases.append({"options": opts, "model_similarity_fn_name": fn_name, "results": res, "csv": csvs})
data["embedding_similarity"] = {"sentences1": s1, "sentences2": s2, "scores": gold, "cases": ese_cases}

labels = [0, 1, 1, 0, 1, 0, 1, 1, 0, 0, 1, 0]
bce_cases = []
for opts, fn_name in [({}, "cosine"), ({}, "euclidean"), ({"similarity_fn_names": ["cosine", "dot", "euclidean", "manhattan"]}, "cosine"),
                      ({"name": "quora", "similarity_fn_names": ["manhattan"]}, "cosine")]:
    ev = BinaryClassificationEvaluator(s1, s2, labels, **opts)
    res, csvs = csv_of(ev, StubEncoder(vectors, fn_name), [(-1, -1), (0, 5)])
    bce_cases.append({"options": opts, "model_similarity_fn_name": fn_name, "results": res, "csv": csvs})
data["binary_classification"] = {"sentences1": s1, "sentences2": s2, "labels": labels, "cases": bce_cases}

anchors = sentences[0:8]; positives = sentences[8:16]; negatives = sentences[16:24]
trip_cases = []
for opts, fn_name in [({}, "cosine"), ({}, "dot"), ({"similarity_fn_names": ["cosine", "dot", "euclidean", "manhattan"]}, "cosine"),
                      ({"margin": 0.3, "similarity_fn_names": ["cosine", "euclidean"], "name": "t"}, "cosine"),
                      ({"margin": {"euclidean": 0.5}, "main_similarity_function": "euclidean", "similarity_fn_names": ["cosine", "euclidean"]}, "cosine")]:
    ev = TripletEvaluator(anchors, positives, negatives, **opts)
    res, csvs = csv_of(ev, StubEncoder(vectors, fn_name), [(-1, -1), (2, -1)])
    trip_cases.append({"options": opts, "model_similarity_fn_name": fn_name, "results": res, "csv": csvs})
data["triplet"] = {"anchors": anchors, "positives": positives, "negatives": negatives, "cases": trip_cases}

# ---- SequentialEvaluator
seq = SequentialEvaluator([EmbeddingSimilarityEvaluator(s1, s2, gold, name="a"), TripletEvaluator(anchors, positives, negatives, name="b")])
data["sequential"] = {"last": run(seq, StubEncoder(vectors)),
                      "mean": run(SequentialEvaluator([EmbeddingSimilarityEvaluator(s1, s2, gold, name="a"),
                                                       TripletEvaluator(anchors, positives, negatives, name="b")],
                                                      main_score_function=lambda s: float(np.mean(s))), StubEncoder(vectors))}

# ---- InformationRetrievalEvaluator
qv = {f"q{i}": vec() for i in range(6)}
cv = {f"d{i:02d}": vec() for i in range(20)}
cv["d07"] = cv["d03"].copy(); cv["d15"] = cv["d03"].copy()  # ties in every score function
cv["d11"] = (cv["d04"] * 3).astype(np.float32)  # cosine tie, not dot
qv["q5"] = cv["d12"].copy()
ir_vectors = {**qv, **cv}
queries = {q: q for q in qv}
queries["q_unjudged"] = "q0"
corpus = {d: d for d in cv}
relevant = {"q0": {"d03", "d01"}, "q1": {"d11"}, "q2": {"d07", "d15", "d19", "d00"}, "q3": {"d05"}, "q4": {"d04", "d10", "d02"},
            "q5": {"d12", "d13"}, "q_empty": set()}
ir_cases = []
for opts, fn_name in [({}, "cosine"), ({"corpus_chunk_size": 3}, "cosine"), ({}, "dot"),
                      ({"mrr_at_k": [3, 5], "ndcg_at_k": [2, 5], "accuracy_at_k": [1, 2], "precision_recall_at_k": [2, 4], "map_at_k": [3, 10],
                        "corpus_chunk_size": 7, "name": "nano"}, "cosine"),
                      ({"score_functions": {"dot": util.dot_score, "cosine": util.cos_sim}}, "cosine"),
                      ({"score_functions": {"manhattan": util.manhattan_sim, "euclidean": util.euclidean_sim}, "main_score_function": "euclidean", "corpus_chunk_size": 4}, "cosine"),
                      ({"write_predictions": True, "name": "pred", "mrr_at_k": [3], "ndcg_at_k": [3], "accuracy_at_k": [1], "precision_recall_at_k": [2], "map_at_k": [4]}, "cosine"),
                      ({"write_predictions": True, "score_functions": {"dot": util.dot_score, "cosine": util.cos_sim}}, "cosine")]:
    ev = InformationRetrievalEvaluator(queries, corpus, relevant, **opts)
    res, csvs = csv_of(ev, StubEncoder(ir_vectors, fn_name), [(-1, -1), (1, 7)])
    o = {k: (sorted(v.keys()) if k == "score_functions" else v) for k, v in opts.items()}
    if "score_functions" in opts:
        o["score_functions"] = list(opts["score_functions"].keys())
    ir_cases.append({"options": o, "model_similarity_fn_name": fn_name, "results": res, "csv": csvs})
data["json_dumps_sample"] = [{"query_id": "q\u00e9\"\\", "query": "caf\u00e9 \U0001F355 \n\t\x01\x7f~", "results": [{"corpus_id": "d", "score": 1.5e-05}, {"corpus_id": "e", "score": 1.0}, {"corpus_id": "f", "score": -0.1234567}]}]
data["json_dumps_sample"].append(json.dumps(data["json_dumps_sample"][0]))
data["information_retrieval"] = {"vectors": {k: as_list(v) for k, v in ir_vectors.items()}, "queries": queries, "corpus": corpus,
                                 "relevant_docs": {k: sorted(v) for k, v in relevant.items()}, "cases": ir_cases}

# ---- CrossEncoder evaluators
pairs = [[f"q{i % 4}", f"doc{i}"] for i in range(14)]
ce_scores = {f"{p[0]}\t{p[1]}": float(np.float32(rng.standard_normal())) for p in pairs}
ce_scores["q1\tdoc5"] = ce_scores["q0\tdoc4"]  # a tie
ce_labels = [1, 0, 0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 0, 1]
ev = CrossEncoderClassificationEvaluator(pairs, ce_labels, name="ce-bin")
res_bin, csv_bin = csv_of(ev, StubPredictor(ce_scores), [(-1, -1), (1, 3)])
ev = CrossEncoderClassificationEvaluator(pairs, ce_labels)
res_bin_noname = run(ev, StubPredictor(ce_scores))
ml_scores = {k: [float(x) for x in rng.standard_normal(3).astype(np.float32)] for k in ce_scores}
ml_labels = [0, 1, 2, 2, 1, 0, 0, 2, 1, 1, 2, 0, 2, 2]
ev = CrossEncoderClassificationEvaluator(pairs, ml_labels, name="nli")
res_ml, csv_ml = csv_of(ev, StubPredictor(ml_scores, 3), [(-1, -1)])
gold_ce = [0.1, 0.9, 0.4, 0.4, 0.8, 0.2, 0.7, 0.0, 0.3, 0.9, 0.6, 0.5, 0.1, 1.0]
ev = CrossEncoderCorrelationEvaluator(pairs, gold_ce, name="sts")
res_corr, csv_corr = csv_of(ev, StubPredictor(ce_scores), [(-1, -1)])
res_corr_noname = run(CrossEncoderCorrelationEvaluator(pairs, gold_ce), StubPredictor(ce_scores))
rr_scores = {}
docs = [f"p{i}" for i in range(12)]
for q in ["qa", "qb", "qc", "qd"]:
    for d in docs:
        rr_scores[f"{q}\t{d}"] = float(np.float32(rng.standard_normal()))
rr_scores["qa\tp3"] = rr_scores["qa\tp5"]  # tie inside one query
samples_neg = [
    {"query": "qa", "positive": ["p0", "p1"], "negative": ["p2", "p3", "p4", "p5", "p6"]},
    {"query": "qb", "positive": ["p7"], "negative": ["p1", "p2", "p3"]},
    {"query": "qc", "positive": "p4", "negative": ["p5", "p6", "p7", "p8", "p9", "p10", "p11"]},
]
samples_docs = [
    {"query": "qa", "positive": ["p0", "p1"], "documents": ["p2", "p0", "p3", "p4", "p5"]},
    {"query": "qb", "positive": ["p7"], "documents": ["p1", "p2", "p3"]},
    {"query": "qc", "positive": ["p4", "p9"], "documents": ["p9", "p5", "p6", "p4", "p8"]},
    {"query": "qd", "positive": ["p11"], "documents": ["p0", "p11", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9", "p10"]},
]
rr_cases = []
for samples, opts in [(samples_neg, {}), (samples_neg, {"at_k": 3, "name": "r"}), (samples_docs, {}),
                      (samples_docs, {"at_k": 2, "always_rerank_positives": False}), (samples_docs, {"at_k": 3})]:
    ev = CrossEncoderRerankingEvaluator(samples, **opts)
    res, csvs = csv_of(ev, StubPredictor(rr_scores), [(-1, -1)])
    rr_cases.append({"samples": samples, "options": opts, "results": res, "csv": csvs})
data["cross_encoder"] = {"pairs": pairs, "scores": ce_scores, "labels": ce_labels, "classification": res_bin, "classification_csv": csv_bin,
                         "classification_noname": res_bin_noname,
                         "multilabel_scores": ml_scores, "multilabel_labels": ml_labels, "multilabel": res_ml, "multilabel_csv": csv_ml,
                         "gold": gold_ce, "correlation": res_corr, "correlation_csv": csv_corr, "correlation_noname": res_corr_noname,
                         "rerank_scores": rr_scores, "reranking": rr_cases}

# ---- end to end on the fixture models
FIX = "/work/shared/fixtures/models"
from sentence_transformers import SentenceTransformer, CrossEncoder
st = SentenceTransformer(os.path.join(FIX, "tiny-bert"), device="cpu")
texts = ["A man is eating food.", "A man is riding a horse.", "The girl is carrying a baby.", "A woman is playing violin.",
         "Two men pushed carts through the woods.", "A cheetah is running behind its prey.", "A monkey is playing drums.",
         "The new movie is awesome."]
e2e = {"texts": texts}
e2e["ir"] = run(InformationRetrievalEvaluator({"a": texts[0], "b": texts[3]}, {str(i): t for i, t in enumerate(texts)},
                                              {"a": {"0", "1"}, "b": {"3"}}, accuracy_at_k=[1, 3], precision_recall_at_k=[1, 3], name="e2e"), st)
e2e["triplet"] = run(TripletEvaluator(texts[0:3], texts[3:6], texts[5:8]), st)
e2e["binary"] = run(BinaryClassificationEvaluator(texts[0:4], texts[4:8], [1, 0, 1, 0]), st)
ce = CrossEncoder(os.path.join(FIX, "tiny-bert-cross-encoder"), device="cpu")
e2e["ce_reranking"] = run(CrossEncoderRerankingEvaluator([{"query": texts[0], "positive": [texts[1]], "negative": texts[2:6]},
                                                          {"query": texts[6], "positive": [texts[7], texts[2]], "negative": texts[0:2]}], at_k=3), ce)
e2e["ce_correlation"] = run(CrossEncoderCorrelationEvaluator([[texts[i], texts[i + 1]] for i in range(7)], [0.1, 0.5, 0.2, 0.9, 0.4, 0.3, 0.8]), ce)
data["end_to_end"] = e2e

data["descriptions"] = {
    "EmbeddingSimilarityEvaluator": EmbeddingSimilarityEvaluator([], [], []).description,
    "InformationRetrievalEvaluator": InformationRetrievalEvaluator({}, {}, {}).description,
    "BinaryClassificationEvaluator": BinaryClassificationEvaluator([], [], []).description,
    "TripletEvaluator": TripletEvaluator([], [], []).description,
    "SequentialEvaluator": SequentialEvaluator([]).description,
    "CrossEncoderClassificationEvaluator": CrossEncoderClassificationEvaluator([], []).description,
    "CrossEncoderCorrelationEvaluator": CrossEncoderCorrelationEvaluator([], []).description,
    "CrossEncoderRerankingEvaluator": CrossEncoderRerankingEvaluator([]).description,
}
with open(OUT, "w") as f:
    json.dump(data, f, indent=1)
print("wrote", OUT, os.path.getsize(OUT))
