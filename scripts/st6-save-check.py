"""Step 2 of the sentence-transformers 6.0.1 save check: load every folder that scripts/st6-save-check.ts wrote with the
real sentence-transformers 6.0.1 (CrossEncoder / SentenceTransformer, defaults, float32 checkpoints) and compare its
scores / embeddings with the ones this library recorded (ours.json). Not a test dependency.

Run: /work/venv/bin/python scripts/st6-save-check.py /tmp/st6-save-check

Recorded run (2026-12-06; sentence-transformers 6.0.1, transformers 5.18.0, torch 2.13.0+cpu; sentence-tfjs on wasm;
folders saved by sentence-tfjs, each loaded by 6.0.1 with defaults; max abs diff of scores / embeddings):
  tiny-bert-cross-encoder 5.96e-08 (Sigmoid, max_seq_length 512); tiny-roberta-nli-cross-encoder 1.31e-06 (Identity, 512);
  tiny-modernbert-cross-encoder 1.19e-07 (Sigmoid, 128); tiny-bert 1.45e-07 (Transformer, Pooling, Normalize; 128);
  tiny-roberta 1.07e-06 (Transformer, Pooling, Dense; 64); tiny-bert-pooling 2.03e-06 (cls+max+mean);
  tiny-qwen3 2.98e-07; tiny-embeddinggemma 5.07e-06 (Pooling, Dense, Dense, Normalize; its prompts); tiny-modernbert 2.68e-07
  worst max abs diff 5.07e-06: OK
"""
import json
import sys
import warnings

import numpy as np
import sentence_transformers
from sentence_transformers import CrossEncoder, SentenceTransformer

warnings.filterwarnings("ignore")
root = sys.argv[1] if len(sys.argv) > 1 else "/tmp/st6-save-check"
ours = json.load(open(f"{root}/ours.json"))
print(f"sentence-transformers {sentence_transformers.__version__}")
worst = 0.0
for name, rec in ours.items():
    path = f"{root}/{name}"
    if "pairs" in rec:
        model = CrossEncoder(path, device="cpu")
        got = np.asarray(model.predict([tuple(p) for p in rec["pairs"]]), dtype=np.float64)
        what = f"CrossEncoder activation={type(model.activation_fn).__name__} max_seq_length={model.max_seq_length}"
        want = np.asarray(rec["scores"], dtype=np.float64)
    else:
        model = SentenceTransformer(path, device="cpu")
        got = np.asarray(model.encode(rec["texts"]), dtype=np.float64)
        what = f"SentenceTransformer modules={[type(m).__name__ for m in model]} max_seq_length={model.max_seq_length} prompts={model.prompts}"
        want = np.asarray(rec["embeddings"], dtype=np.float64)
    d = float(np.max(np.abs(got - want)))
    worst = max(worst, d)
    print(f"{name}: loads in 6.0.1 ({what}); max abs diff to sentence-tfjs {d:.3g}")
print(f"worst max abs diff {worst:.3g}: {'OK' if worst <= 1e-5 else 'FAIL'}")
sys.exit(0 if worst <= 1e-5 else 1)
