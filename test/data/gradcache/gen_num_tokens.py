"""Reference for CachedMultipleNegativesRankingLoss' mini_batch_num_tokens (test/losses_cached_num_tokens.test.ts),
sentence-transformers 6.0.1:
- `ranges`: `_minibatch_ranges` (gradcache.py) on right-padded attention masks built from token counts, and the
  width `_create_minibatch` cuts each range to (the trailing padding its rows share removed);
- `model`: models/tiny-bert (dropout 0), 6 (anchor, positive, negative) rows, CachedMultipleNegativesRankingLoss(
  mini_batch_size=32, mini_batch_num_tokens=24): the mini-batch ranges of each column, the loss and the gradients of
  a few parameters after loss.backward().

Run: /work/venv/bin/python test/data/gradcache/gen_num_tokens.py ../shared/fixtures/models/tiny-bert test/data/gradcache/num_tokens.json
"""
import json, sys
import torch
import sentence_transformers
from sentence_transformers import SentenceTransformer, losses
from sentence_transformers.base.losses.gradcache import _create_minibatch, _minibatch_ranges

model_dir, out_path = sys.argv[1], sys.argv[2]
torch.manual_seed(0)

range_cases = []
for counts, size, budget in [([3, 5, 2, 7, 1], 2, 8), ([3, 5, 2, 7, 1], 2, None), ([9, 2, 2, 9, 1, 1], 4, 4), ([4, 4, 4, 4], 3, 8), ([6, 1, 1, 1, 6], 1, 5)]:
    width = max(counts)
    mask = torch.tensor([[1] * c + [0] * (width - c) for c in counts])
    feats = {"input_ids": mask.clone(), "attention_mask": mask}
    rs = _minibatch_ranges(feats, size, budget)
    widths = [int(_create_minibatch(feats, b, e)["input_ids"].shape[1]) for b, e in rs]
    range_cases.append({"counts": counts, "mini_batch_size": size, "mini_batch_num_tokens": budget, "ranges": [list(r) for r in rs], "widths": widths})

WORDS = "the a model query document search neural network embedding vector data text quick brown fox jumps over lazy dog city river music".split()


def sentence(i):
    return " ".join(WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(2 + (i * 5) % 9))


rows = [[sentence(3 * i), sentence(3 * i + 1), sentence(3 * i + 2)] for i in range(6)]
model = SentenceTransformer(model_dir, device="cpu", config_kwargs={"hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0})
model.train()
loss = losses.CachedMultipleNegativesRankingLoss(model, mini_batch_size=32, mini_batch_num_tokens=24)
features = [model.tokenize([r[c] for r in rows]) for c in range(3)]
col_ranges = [[list(r) for r in _minibatch_ranges(f, 32, 24)] for f in features]
value = loss(features, None)
value.backward()
PARAMS = ["embeddings.word_embeddings.weight", "encoder.layer.0.attention.self.query.weight", "encoder.layer.1.output.dense.bias", "encoder.layer.1.output.LayerNorm.weight"]
named = dict(model[0].auto_model.named_parameters())
out = {
    "generator": "test/data/gradcache/gen_num_tokens.py",
    "sentence_transformers": sentence_transformers.__version__,
    "torch": torch.__version__,
    "ranges": range_cases,
    "model": {
        "rows": rows,
        "mini_batch_size": 32,
        "mini_batch_num_tokens": 24,
        "token_counts": [f["attention_mask"].sum(dim=1).tolist() for f in features],
        "column_ranges": col_ranges,
        "loss": value.item(),
        "grads": {k: {"shape": list(named[k].shape), "data": named[k].grad.reshape(-1).tolist()} for k in PARAMS if k != "embeddings.word_embeddings.weight"},
        "word_embeddings_grad_abs_sum": named["embeddings.word_embeddings.weight"].grad.abs().sum().item(),
    },
}
json.dump(out, open(out_path, "w"))
print(json.dumps({"ranges": range_cases, "column_ranges": col_ranges, "counts": out["model"]["token_counts"], "loss": out["model"]["loss"]}))
