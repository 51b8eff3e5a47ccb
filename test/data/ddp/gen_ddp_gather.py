"""PyTorch DDP reference for gather_across_devices under data-parallel training (test/training_ddp_gather.test.ts),
built as gen_ddp.py: sentence-transformers' SentenceTransformerTrainer under `torchrun --nproc_per_node 2` (gloo,
CPU), MultipleNegativesRankingLoss(gather_across_devices=True) (case `mnrl`: anchor/positive pairs) or
CachedMultipleNegativesRankingLoss(gather_across_devices=True, mini_batch_size=2, all four directions joint,
hardness_mode all_negatives, strength 5) (case `cached`: anchor/positive/negative triplets) on models/tiny-bert with dropout 0, per-device batch 4 (global 8), 3 steps, lr 1e-3 linear, weight decay 0.01,
batches in dataset order (a sequential batch sampler; accelerate hands rank r the batches r, r + 2, ...: so step k's
global batch is rows [8k, 8k + 8), rank 0 the first 4, rank 1 the last 4). Writes ddp_gather_<case>.json: the rows, the
logged per-step loss (transformers gathers it from every rank and takes the mean), grad_norm and learning rate,
the trained model's embeddings of probe sentences and a few parameters, from rank 0.

Run (about a minute on 2 cores):
  /work/venv/bin/torchrun --nproc_per_node 2 test/data/ddp/gen_ddp_gather.py ../shared/fixtures/models/tiny-bert mnrl test/data/ddp/ddp_gather_mnrl.json
  /work/venv/bin/torchrun --nproc_per_node 2 test/data/ddp/gen_ddp_gather.py ../shared/fixtures/models/tiny-bert cached test/data/ddp/ddp_gather_cached.json
"""
import json, os, sys, tempfile
import torch
import torch.distributed as dist
from datasets import Dataset
from torch.utils.data import BatchSampler, SequentialSampler
from sentence_transformers import SentenceTransformer, SentenceTransformerTrainer, SentenceTransformerTrainingArguments, losses

model_dir, case, out_path = sys.argv[1], sys.argv[2], sys.argv[3]
torch.set_num_threads(1)
torch.manual_seed(0)
WORDS = "the a model query document search neural network embedding vector data text quick brown fox jumps over lazy dog city river music".split()


def sentence(i):
    return " ".join(WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(4 + i % 7))


rows = [{"anchor": sentence(2 * i), "positive": sentence(2 * i + 1 + (i % 3) * 40)} for i in range(24)]
if case == "cached":
    rows = [dict(r, negative=sentence(3 * i + 5)) for i, r in enumerate(rows)]
PARAMS = ["embeddings.LayerNorm.weight", "encoder.layer.0.attention.self.query.bias", "encoder.layer.1.output.dense.weight", "encoder.layer.1.output.LayerNorm.bias"]
PROBES = ["the quick brown fox", "a neural network embedding", "city river music data", "search query document"]


class SequentialTrainer(SentenceTransformerTrainer):
    def get_batch_sampler(self, dataset, batch_size, drop_last, valid_label_columns=None, generator=None, seed=0):
        return BatchSampler(SequentialSampler(range(len(dataset))), batch_size=batch_size, drop_last=drop_last)


model = SentenceTransformer(model_dir, device="cpu", config_kwargs={"hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0})
if case == "mnrl":
    LOSS = losses.MultipleNegativesRankingLoss(model, gather_across_devices=True)
else:
    LOSS = losses.CachedMultipleNegativesRankingLoss(model, mini_batch_size=2, gather_across_devices=True, directions=("query_to_doc", "query_to_query", "doc_to_query", "doc_to_doc"),
                                                     partition_mode="joint", hardness_mode="all_negatives", hardness_strength=5.0)
args = SentenceTransformerTrainingArguments(
    output_dir=tempfile.mkdtemp(), per_device_train_batch_size=4, max_steps=3, learning_rate=1e-3, weight_decay=0.01,
    lr_scheduler_type="linear", warmup_steps=0, max_grad_norm=1.0, logging_steps=1, save_strategy="no", report_to="none",
    use_cpu=True, ddp_backend="gloo", seed=42, dataloader_drop_last=False, disable_tqdm=True,
)
trainer = SequentialTrainer(model=model, args=args, train_dataset=Dataset.from_list(rows), loss=LOSS)
world = dist.get_world_size() if dist.is_initialized() else 1
trainer.train()
if int(os.environ.get("RANK", "0")) == 0:
    logs = [h for h in trainer.state.log_history if "loss" in h and "train_runtime" not in h]
    named = dict(model[0].auto_model.named_parameters())
    model.eval()
    with torch.no_grad():
        emb = model.encode(PROBES, convert_to_numpy=True)
    out = {
        "world_size": world,
        "case": case,
        "loss_config": LOSS.get_config_dict(),
        "rows": rows,
        "per_device_train_batch_size": 4,
        "learning_rate": 1e-3,
        "weight_decay": 0.01,
        "loss": [h["loss"] for h in logs],
        "grad_norm": [float(h["grad_norm"]) for h in logs],
        "lr": [h["learning_rate"] for h in logs],
        "probes": PROBES,
        "probe_embeddings": emb.tolist(),
        "params": {k: {"shape": list(named[k].shape), "data": named[k].detach().reshape(-1).tolist()} for k in PARAMS},
    }
    with open(out_path, "w") as f:
        json.dump(out, f)
    print(json.dumps({k: out[k] for k in ["world_size", "loss", "grad_norm", "lr"]}))
