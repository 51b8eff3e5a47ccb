"""PyTorch peer of `npm run bench:train`: the same workloads with sentence-transformers (fit's step: tokenize each
column, loss, backward, clip, AdamW), timed per step. Usage: python bench-train-peer.py <model_dir> <threads> <steps>
< workloads.json; prints one JSON line per workload: {"name", "threads", "steps_per_s", "texts_per_s", "cpu_s_per_step" (process CPU time)}."""
import json, sys, time
import torch
from sentence_transformers import SentenceTransformer, losses

model_dir, threads, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(threads)
work = json.load(sys.stdin)
# float32, as ours trains: minilm-l6-full's checkpoint is F16 and transformers 5 would otherwise load and train it in
# half precision, which CPU matmuls run far off their float32 speed (the earlier "backward mm 5x slower" figures).
model = SentenceTransformer(model_dir, device="cpu", model_kwargs={"dtype": torch.float32})
assert next(model.parameters()).dtype == torch.float32
model.train()
for w in work:
    loss = losses.MultipleNegativesRankingLoss(model) if w["loss"] == "MultipleNegativesRankingLoss" else losses.CosineSimilarityLoss(model)
    opt = torch.optim.AdamW(model.parameters(), lr=2e-5)
    cols = w["columns"]
    labels = torch.tensor(w["labels"], dtype=torch.float32) if w["labels"] is not None else None

    def step():
        feats = [model.tokenize(c) for c in cols]
        l = loss(feats, labels)
        l.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad()

    step()
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(steps):
        step()
    dt = (time.perf_counter() - t0) / steps
    cpu = (time.process_time() - c0) / steps
    n = sum(len(c) for c in cols)
    print(json.dumps({"name": w["name"], "threads": threads, "steps_per_s": 1 / dt, "texts_per_s": n / dt, "cpu_s_per_step": cpu}), flush=True)
