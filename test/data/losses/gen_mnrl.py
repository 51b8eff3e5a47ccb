"""Records sentence-transformers 6.0.1 MultipleNegativesRankingLoss / CachedMultipleNegativesRankingLoss values and
gradients w.r.t. the input embeddings over the 6.0.1 options grid (test/data/losses/mnrl.json).

Run: /work/venv/bin/python test/data/losses/gen_mnrl.py
Grid: each direction set (query_to_doc; + doc_to_query; + query_to_query; + doc_to_doc; all four), both partition
modes (per_direction only where 6.0.1 allows it), each hardness mode with strength > 0, with 0, 1 and 2 hard-negative
columns, cos_sim and dot_score. Each case: fixed random float32 embeddings (one [batch, dim] matrix per column), the
plain loss's `compute_loss_from_embeddings` in float32 on CPU and `torch.autograd.grad` w.r.t. every embedding
matrix; the cached loss's `calculate_loss` (its chunked loss stage, mini_batch_size 3) on the same embeddings, whose
value and gradients are recorded beside the plain ones (they agree to float32 rounding).
Also: get_config_dict() of a few configurations and the citation key they select.
"""
import json, os, warnings
import numpy as np
import torch
import sentence_transformers
from sentence_transformers import util
from sentence_transformers.sentence_transformer import losses as L

warnings.simplefilter("ignore")
torch.manual_seed(0)
rng = np.random.default_rng(11)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mnrl.json")


class FakeModel(torch.nn.Module):
    """Only what the loss constructors touch."""
    device = torch.device("cpu")

    def get_embedding_dimension(self):
        return 16

    def __getitem__(self, i):  # CachedMNRL's StaticEmbedding check looks at model[0]
        return torch.nn.Identity()


model = FakeModel()


def L2(t):
    """float32 values written with numpy's shortest float32 digits (they read back to the same float32)."""
    return np.array([float(str(x)) for x in t.detach().numpy().ravel()]).reshape(tuple(t.shape)).tolist()


def emb(b, cols, d=8, scale=1.0):
    return [torch.tensor((rng.standard_normal((b, d)) * scale).astype(np.float32), requires_grad=True) for _ in range(cols)]


DIRECTION_SETS = [
    ("query_to_doc",),
    ("query_to_doc", "doc_to_query"),
    ("query_to_doc", "query_to_query"),
    ("query_to_doc", "doc_to_doc"),
    ("query_to_doc", "query_to_query", "doc_to_query", "doc_to_doc"),
]
B = 7  # not a multiple of the cached mini-batch size 3
cases = []


def record(config, embs, tag):
    kw = dict(config)
    kw["similarity_fct"] = getattr(util, kw["similarity_fct"])
    plain = L.MultipleNegativesRankingLoss(model, **kw)
    value = plain.compute_loss_from_embeddings(embs, None)
    grads = torch.autograd.grad(value, embs)
    cached = L.CachedMultipleNegativesRankingLoss(model, mini_batch_size=3, **kw)
    cvalue = cached.calculate_loss([list(e.split(3)) for e in embs], with_backward=False)
    cgrads = torch.autograd.grad(cvalue, embs)
    e64 = [e.detach().double().requires_grad_(True) for e in embs]
    v64 = plain.compute_loss_from_embeddings(e64, None)
    g64 = torch.autograd.grad(v64, e64)
    cases.append({
        "name": f"MultipleNegativesRankingLoss {tag}", "config": config,
        "embeddings": [L2(e) for e in embs],
        "value": float(value.item()), "grads": [L2(g) for g in grads],
        "cached_value": float(cvalue.item()), "cached_grads": [L2(g) for g in cgrads],
        "float64_value": float(v64.item()), "float64_grad_max": float(max(g.abs().max() for g in g64)),
    })


for directions in DIRECTION_SETS:
    modes = ["joint"] + (["per_direction"] if not set(directions) & {"query_to_query", "doc_to_doc"} else [])
    for partition_mode in modes:
        for negs in [0, 1, 2]:
            for hardness_mode, strength in [(None, 0.0), ("in_batch_negatives", 9.0), ("hard_negatives", 5.0), ("all_negatives", 3.0)]:
                if hardness_mode == "hard_negatives" and negs == 0 and directions != ("query_to_doc",):
                    continue  # no explicit negatives: no penalty (one such case is kept)
                config = {"scale": 20.0, "similarity_fct": "cos_sim", "gather_across_devices": False, "directions": list(directions),
                          "partition_mode": partition_mode, "hardness_mode": hardness_mode, "hardness_strength": strength}
                record(config, emb(B, 2 + negs), f"{'+'.join(d.replace('_to_', '2') for d in directions)} {partition_mode} {hardness_mode} {strength} negatives {negs}")
# dot_score (scale 1): the penalty uses the raw dot product
for directions, partition_mode, hardness_mode in [(DIRECTION_SETS[-1], "joint", "all_negatives"), (DIRECTION_SETS[1], "per_direction", "in_batch_negatives")]:
    config = {"scale": 1.0, "similarity_fct": "dot_score", "gather_across_devices": False, "directions": list(directions),
              "partition_mode": partition_mode, "hardness_mode": hardness_mode, "hardness_strength": 0.5}
    record(config, emb(B, 3, scale=0.5), f"dot_score {'+'.join(d.replace('_to_', '2') for d in directions)} {partition_mode} {hardness_mode}")
# directions given in another order than 6.0.1 builds them (the joint softmax concatenates in its fixed order)
config = {"scale": 20.0, "similarity_fct": "cos_sim", "gather_across_devices": False, "directions": ["doc_to_doc", "query_to_doc", "query_to_query"],
          "partition_mode": "joint", "hardness_mode": None, "hardness_strength": 0.0}
record(config, emb(B, 3), "unordered directions")

cfg = lambda l: json.loads(json.dumps(l.get_config_dict(), default=list))
cite = lambda l: l.citation.strip().split("{", 1)[1].split(",", 1)[0]
gte = dict(directions=("query_to_doc", "query_to_query", "doc_to_query", "doc_to_doc"))
sym = dict(directions=("query_to_doc", "doc_to_query"), partition_mode="per_direction")
hard = dict(hardness_mode="hard_negatives", hardness_strength=5.0, gather_across_devices=True)
configs = {
    "MultipleNegativesRankingLoss": {"config": cfg(L.MultipleNegativesRankingLoss(model)), "citation": cite(L.MultipleNegativesRankingLoss(model))},
    "MultipleNegativesRankingLoss gte": {"options": gte, "config": cfg(L.MultipleNegativesRankingLoss(model, **gte)), "citation": cite(L.MultipleNegativesRankingLoss(model, **gte))},
    "MultipleNegativesRankingLoss symmetric": {"options": sym, "config": cfg(L.MultipleNegativesRankingLoss(model, **sym)), "citation": cite(L.MultipleNegativesRankingLoss(model, **sym))},
    "MultipleNegativesRankingLoss hard": {"options": hard, "config": cfg(L.MultipleNegativesRankingLoss(model, **hard)), "citation": cite(L.MultipleNegativesRankingLoss(model, **hard))},
    "CachedMultipleNegativesRankingLoss": {"config": cfg(L.CachedMultipleNegativesRankingLoss(model)), "citation": cite(L.CachedMultipleNegativesRankingLoss(model))},
    "CachedMultipleNegativesRankingLoss gte": {"options": gte, "config": cfg(L.CachedMultipleNegativesRankingLoss(model, **gte)), "citation": cite(L.CachedMultipleNegativesRankingLoss(model, **gte))},
    "MultipleNegativesSymmetricRankingLoss": {"config": cfg(L.MultipleNegativesSymmetricRankingLoss(model)), "citation": cite(L.MultipleNegativesSymmetricRankingLoss(model))},
}
configs = json.loads(json.dumps(configs, default=list))
with open(OUT, "w") as f:
    json.dump({"generator": "test/data/losses/gen_mnrl.py", "sentence_transformers": sentence_transformers.__version__, "torch": torch.__version__,
               "cases": cases, "config_dicts": configs}, f)
print("wrote", OUT, os.path.getsize(OUT), len(cases), "cases")
print(json.dumps(configs, indent=1))
for c in cases:
    print(c["name"], c["value"], abs(c["value"] - c["cached_value"]), max(abs(np.array(a) - np.array(b)).max() for a, b in zip(c["grads"], c["cached_grads"])))
