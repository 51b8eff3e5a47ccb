"""Build larger random-weight models of the new architectures for `npm run bench` (nothing here is committed).

The fixtures' twins (tiny-modernbert, tiny-qwen3, tiny-embeddinggemma, tiny-splade) have hidden sizes of 6-16, so
their speed is mostly per-call overhead. This script keeps each twin's architecture, tokenizer and sentence-
transformers modules, scales the config to a MiniLM-like size (hidden 384, 6 layers), draws seeded random weights
(transformers' own init) and saves the model where the bench reads it:

    /work/venv/bin/python bench/make_random_models.py <fixtures>/models/tiny-qwen3 /tmp/sentence-tfjs-bench-models/random-qwen3

Then it loads the result with sentence-transformers and encodes two texts, so a broken save fails here.
Prints one JSON line: {"out": ..., "config": {...}, "params": N}.
"""

import json
import shutil
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file

# MiniLM-like sizes per architecture (the real models' ratios: GQA for Qwen3, one KV head and a wide head for Gemma).
SCALE = {
    "modernbert": dict(hidden_size=384, num_hidden_layers=6, num_attention_heads=6, intermediate_size=576, local_attention=128),
    "qwen3": dict(hidden_size=384, num_hidden_layers=6, num_attention_heads=6, num_key_value_heads=2, head_dim=64, intermediate_size=1024),
    "gemma3_text": dict(hidden_size=384, num_hidden_layers=6, num_attention_heads=3, num_key_value_heads=1, head_dim=128, query_pre_attn_scalar=128, intermediate_size=1152, sliding_window=512),
    "bert": dict(hidden_size=384, num_hidden_layers=6, num_attention_heads=12, intermediate_size=1536),
    "mpnet": dict(hidden_size=384, num_hidden_layers=6, num_attention_heads=12, intermediate_size=1536),
}


def main(src: str, out: str, seed: int = 0) -> None:
    from transformers import AutoConfig, AutoModel, AutoModelForMaskedLM

    src_p, out_p = Path(src), Path(out)
    cfg = json.loads((src_p / "config.json").read_text())
    mt = cfg["model_type"]
    if mt not in SCALE:
        raise SystemExit(f"make_random_models: model_type {mt!r} not supported; expected one of {sorted(SCALE)}")
    if out_p.exists():
        shutil.rmtree(out_p)
    shutil.copytree(src_p, out_p, ignore=shutil.ignore_patterns("onnx", "model.safetensors", "README.md"))
    old_layers = cfg["num_hidden_layers"]
    cfg.update(SCALE[mt])
    if "layer_types" in cfg:  # keep the twin's local/global pattern, repeated over the new depth
        pattern = cfg["layer_types"][:old_layers]
        cfg["layer_types"] = [pattern[i % len(pattern)] for i in range(cfg["num_hidden_layers"])]
    (out_p / "config.json").write_text(json.dumps(cfg, indent=2))
    torch.manual_seed(seed)
    config = AutoConfig.from_pretrained(out_p)
    masked = any(a.endswith("ForMaskedLM") for a in cfg.get("architectures", []))
    model = (AutoModelForMaskedLM if masked else AutoModel).from_config(config, dtype=torch.float32)
    model.save_pretrained(out_p)
    (out_p / "config.json").write_text(json.dumps(cfg, indent=2))  # the scaled config as written above
    hidden = cfg["hidden_size"]
    pool = out_p / "1_Pooling" / "config.json"
    if pool.exists():
        p = json.loads(pool.read_text())
        for k in ("embedding_dimension", "word_embedding_dimension"):
            if k in p:
                p[k] = hidden
        pool.write_text(json.dumps(p, indent=4))
    # Dense heads (EmbeddingGemma: hidden -> 4 hidden -> hidden), random like the rest.
    dense_dirs = sorted(d for d in out_p.iterdir() if d.is_dir() and d.name.split("_", 1)[-1] == "Dense")
    dims = [hidden, 4 * hidden, hidden]
    for i, d in enumerate(dense_dirs):
        c = json.loads((d / "config.json").read_text())
        c["in_features"], c["out_features"] = dims[i], dims[i + 1]
        lin = torch.nn.Linear(c["in_features"], c["out_features"], bias=c.get("bias", True))
        tensors = {"linear.weight": lin.weight.detach().contiguous()}
        if c.get("bias", True):
            tensors["linear.bias"] = lin.bias.detach().contiguous()
        save_file(tensors, str(d / "model.safetensors"))
        (d / "config.json").write_text(json.dumps(c, indent=4))
    # Check: sentence-transformers loads it and encodes.
    from sentence_transformers import SentenceTransformer, SparseEncoder

    st = (SparseEncoder if masked else SentenceTransformer)(str(out_p), device="cpu", model_kwargs={"dtype": torch.float32})
    st.encode(["a check", "another check sentence"])
    params = sum(p.numel() for p in model.parameters())
    print(json.dumps({"out": str(out_p), "config": SCALE[mt], "params": params}))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: make_random_models.py <fixture model dir> <out dir>")
    main(sys.argv[1], sys.argv[2])
