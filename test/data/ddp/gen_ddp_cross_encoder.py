"""PyTorch DDP reference for data-parallel CrossEncoder training (test/training_ddp_more.test.ts): sentence-transformers
6.0.1's CrossEncoderTrainer under `torchrun --nproc_per_node 2` (gloo, CPU), BinaryCrossEntropyLoss on
models/tiny-bert-cross-encoder with dropout 0, per-device batch 4 (global 8), 3 steps, lr 1e-3 linear, weight decay
0.01, batches in dataset order (a sequential batch sampler; accelerate hands rank r the batches r, r + 2, ...: step k's
global batch is rows [8k, 8k + 8), rank 0 the first 4, rank 1 the last 4). Writes ddp_cross_encoder_bce.json: the rows,
the logged per-step loss (the mean over ranks), grad_norm and learning rate, the trained model's logits of probe
pairs, a few parameters and their first-step gradients (averaged and clipped), from rank 0.
ddp_find_unused_parameters=False: with the Trainer's default (find unused parameters) 6.0.1's CrossEncoderTrainer
fails under torchrun in the first backward ("Parameter ... 0.model.classifier.bias has been marked as ready twice").

Run (about a minute on 2 cores):
  /work/venv/bin/torchrun --nproc_per_node 2 test/data/ddp/gen_ddp_cross_encoder.py ../shared/fixtures/models/tiny-bert-cross-encoder test/data/ddp/ddp_cross_encoder_bce.json
"""
import json, os, sys, tempfile
import torch
import torch.distributed as dist
from datasets import Dataset
from transformers import TrainerCallback
from torch.utils.data import BatchSampler, SequentialSampler
from sentence_transformers.cross_encoder import CrossEncoder, CrossEncoderTrainer, CrossEncoderTrainingArguments
from sentence_transformers.cross_encoder.losses import BinaryCrossEntropyLoss

model_dir, out_path = sys.argv[1], sys.argv[2]
torch.set_num_threads(1)
torch.manual_seed(0)
WORDS = "the a model query document search neural network embedding vector data text quick brown fox jumps over lazy dog city river music".split()


def sentence(i):
    return " ".join(WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(4 + i % 7))


rows = [{"sentence1": sentence(2 * i), "sentence2": sentence(2 * i + 1 + (i % 3) * 40), "label": float(i % 2)} for i in range(24)]
PARAMS = ["bert.embeddings.LayerNorm.weight", "bert.encoder.layer.0.attention.self.query.bias", "bert.encoder.layer.1.output.dense.weight", "classifier.weight", "classifier.bias"]
PROBES = [["the quick brown fox", "a lazy dog"], ["a neural network embedding", "vector data text"], ["city river music data", "search query document"]]


class SequentialTrainer(CrossEncoderTrainer):
    def get_batch_sampler(self, dataset, batch_size, drop_last, valid_label_columns=None, generator=None, seed=0):
        return BatchSampler(SequentialSampler(range(len(dataset))), batch_size=batch_size, drop_last=drop_last)


class FirstGrads(TrainerCallback):
    """The averaged (all-reduced), clipped gradients of PARAMS as the first optimizer step sees them."""

    grads = None

    def on_pre_optimizer_step(self, args, state, control, **kwargs):
        if self.grads is None:
            named = dict(model.model.named_parameters())
            self.grads = {k: named[k].grad.detach().reshape(-1).tolist() for k in PARAMS}


model = CrossEncoder(model_dir, device="cpu", config_kwargs={"hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0})
args = CrossEncoderTrainingArguments(
    output_dir=tempfile.mkdtemp(), per_device_train_batch_size=4, max_steps=3, learning_rate=1e-3, weight_decay=0.01,
    lr_scheduler_type="linear", warmup_steps=0, max_grad_norm=1.0, logging_steps=1, save_strategy="no", report_to="none",
    use_cpu=True, ddp_backend="gloo", ddp_find_unused_parameters=False, seed=42, dataloader_drop_last=False, disable_tqdm=True,
)
first = FirstGrads()
trainer = SequentialTrainer(model=model, args=args, train_dataset=Dataset.from_list(rows), loss=BinaryCrossEntropyLoss(model), callbacks=[first])
world = dist.get_world_size() if dist.is_initialized() else 1
trainer.train()
if int(os.environ.get("RANK", "0")) == 0:
    logs = [h for h in trainer.state.log_history if "loss" in h and "train_runtime" not in h]
    named = dict(model.model.named_parameters())
    model.eval()
    with torch.no_grad():
        logits = model.predict(PROBES, activation_fn=torch.nn.Identity(), convert_to_numpy=True)
    out = {
        "world_size": world,
        "rows": rows,
        "per_device_train_batch_size": 4,
        "learning_rate": 1e-3,
        "weight_decay": 0.01,
        "loss": [h["loss"] for h in logs],
        "grad_norm": [float(h["grad_norm"]) for h in logs],
        "lr": [h["learning_rate"] for h in logs],
        "probes": PROBES,
        "probe_logits": logits.reshape(-1).tolist(),
        "first_step_grads": first.grads,
        "params": {k: {"shape": list(named[k].shape), "data": named[k].detach().reshape(-1).tolist()} for k in PARAMS},
    }
    with open(out_path, "w") as f:
        json.dump(out, f)
    print(json.dumps({k: out[k] for k in ["world_size", "loss", "grad_norm", "lr"]}))
