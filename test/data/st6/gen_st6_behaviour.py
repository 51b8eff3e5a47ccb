"""Records small sentence-transformers 6.0.1 outputs that reference/st6 does not hold, for test/st6_behaviour.test.ts.

Run from the repository root: /work/venv/bin/python test/data/st6/gen_st6_behaviour.py
(sentence-transformers 6.0.1, transformers 5.18.0, torch 2.13.0+cpu; fixtures in ../shared/fixtures).

- pooling: 6.0.1 Pooling on a hand-made left-padded batch with prompt_length 2 (cls = first attended token, the prompt
  masked after the padding, a pooling_mode list concatenated in its own order).
- truncate_dim: tiny-bert encode with truncate_dim=16 (slice, then normalize_embeddings), and what save() writes.
- prompt_length: `Transformer._get_prompt_length` of some prompts on four fixture models.
"""
import json
import os
import tempfile

import numpy as np
import sentence_transformers
import torch
from sentence_transformers import SentenceTransformer
from sentence_transformers.sentence_transformer.modules import Pooling

FIXTURES = os.environ.get("SENTENCE_TFJS_FIXTURES", os.path.join("..", "shared", "fixtures"))
out = {"generator": "test/data/st6/gen_st6_behaviour.py", "sentence_transformers": sentence_transformers.__version__}

te = [[[0.0], [0.0], [7.0], [8.0], [9.0]], [[1.0], [2.0], [3.0], [4.0], [5.0]]]
am = [[0, 0, 1, 1, 1], [1, 1, 1, 1, 1]]
cases = []
for modes, include_prompt, prompt_length in [
    ("cls", True, None), ("cls", False, 2), ("mean", False, 2), ("max", False, 2), ("lasttoken", True, None),
    (["mean", "cls"], True, None),
]:
    p = Pooling(1, pooling_mode=modes, include_prompt=include_prompt)
    f = {"token_embeddings": torch.tensor(te), "attention_mask": torch.tensor(am)}
    if prompt_length is not None:
        f["prompt_length"] = prompt_length
    cases.append({
        "pooling_mode": modes, "include_prompt": include_prompt, "prompt_length": prompt_length,
        "config": {k: list(v) if isinstance(v, tuple) else v for k, v in p.get_config_dict().items()},
        "sentence_embedding": p(f)["sentence_embedding"].tolist(),
    })
out["pooling"] = {"token_embeddings": te, "attention_mask": am, "cases": cases}

texts = json.load(open(os.path.join(FIXTURES, "reference", "st6", "tiny-bert.json")))["texts"][:8]
model = SentenceTransformer(os.path.join(FIXTURES, "models", "tiny-bert"), device="cpu", truncate_dim=16)
with tempfile.TemporaryDirectory() as d:
    model.save(d)
    saved = json.load(open(os.path.join(d, "config_sentence_transformers.json")))
    reloaded = SentenceTransformer(d, device="cpu")
    reloaded_dim = reloaded.truncate_dim
out["truncate_dim"] = {
    "texts": texts,
    "truncate_dim": 16,
    "embeddings": model.encode(texts).astype(np.float64).tolist(),
    "embeddings_normalized": model.encode(texts, normalize_embeddings=True).astype(np.float64).tolist(),
    "saved_truncate_dim": saved.get("truncate_dim"),
    "reloaded_truncate_dim": reloaded_dim,
    "embedding_dimension": model.get_embedding_dimension() if hasattr(model, "get_embedding_dimension") else model.get_sentence_embedding_dimension(),
}
# prompt_length (Transformer._get_prompt_length): token count of the prompt alone less a trailing special token
prompt_lengths = {}
for name, prompts in [("tiny-bert", ["query: ", "x"]), ("tiny-roberta", ["query: ", "  spaced  "]), ("tiny-qwen3", None), ("tiny-embeddinggemma", None)]:
    path = os.path.join(FIXTURES, "models", name)
    if not os.path.isdir(path):
        continue
    m = SentenceTransformer(path, device="cpu")
    chosen = prompts or [p for p in m.prompts.values() if p]
    prompt_lengths[name] = {p: m[0]._get_prompt_length(p) for p in chosen}
out["prompt_length"] = prompt_lengths
json.dump(out, open(os.path.join("test", "data", "st6", "st6_behaviour.json"), "w"), indent=1)
print("wrote test/data/st6/st6_behaviour.json")
