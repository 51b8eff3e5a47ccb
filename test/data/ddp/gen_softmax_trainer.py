"""PyTorch reference for a loss with its own variables (test/training_ddp_more.test.ts): sentence-transformers 6.0.1's
SentenceTransformerTrainer with SoftmaxLoss on models/tiny-bert (dropout 0), one process, batch 8 in dataset order,
3 steps, lr 1e-2 constant, weight decay 0.1, max_grad_norm 0.1. What it pins: the classifier is in the optimizer
with 6.0.1's groups (`classifier.weight` decayed, `classifier.bias` not: get_optimizer_cls_and_kwargs groups the
loss's named_parameters), and the Trainer's grad norm and clipping cover `model.parameters()` only, so the
classifier's gradient is neither counted in the logged grad_norm nor clipped. Writes softmax_trainer.json: the rows,
the classifier's initial values (torch's init after manual_seed(0)), per-step loss, grad_norm and lr, and after the run
the classifier and a few model parameters.

One upstream bug is worked around: transformers 5.18's Trainer zeroes `model.zero_grad()` only, so the loss's own
classifier keeps ACCUMULATING its gradients across optimizer steps (step k steps on g1 + ... + gk; checked: with the
callback below off, the classifier differs from step 2 on while the model matches). The callback zeroes the
classifier's gradients after each step, which is what a step means; sentence-tfjs does that.

(Under torchrun the classifier is not all-reduced in 6.0.1: it sits outside the DDP-wrapped model, so each rank
steps its own on its shard's gradient and the ranks' classifiers drift apart; sentence-tfjs averages it as a DDP
parameter, keeping the replicas identical.)

Run (seconds):
  /work/venv/bin/python test/data/ddp/gen_softmax_trainer.py ../shared/fixtures/models/tiny-bert test/data/ddp/softmax_trainer.json
"""
import json, sys, tempfile
import torch
from datasets import Dataset
from transformers import TrainerCallback
from torch.utils.data import BatchSampler, SequentialSampler
from sentence_transformers import SentenceTransformer, SentenceTransformerTrainer, SentenceTransformerTrainingArguments, losses

model_dir, out_path = sys.argv[1], sys.argv[2]
torch.set_num_threads(1)
torch.manual_seed(0)
WORDS = "the a model query document search neural network embedding vector data text quick brown fox jumps over lazy dog city river music".split()


def sentence(i):
    return " ".join(WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(4 + i % 7))


rows = [{"sentence1": sentence(2 * i), "sentence2": sentence(2 * i + 1), "label": i % 3} for i in range(16)]
PARAMS = ["embeddings.LayerNorm.weight", "encoder.layer.0.attention.self.query.weight", "encoder.layer.1.output.dense.weight"]


class SequentialTrainer(SentenceTransformerTrainer):
    def get_batch_sampler(self, dataset, batch_size, drop_last, valid_label_columns=None, generator=None, seed=0):
        return BatchSampler(SequentialSampler(range(len(dataset))), batch_size=batch_size, drop_last=drop_last)


class ZeroLossGrads(TrainerCallback):
    def on_step_end(self, args, state, control, **kwargs):
        loss.classifier.zero_grad()


model = SentenceTransformer(model_dir, device="cpu", config_kwargs={"hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0})
loss = losses.SoftmaxLoss(model, model.get_sentence_embedding_dimension(), 3)
init = {"weight": loss.classifier.weight.detach().reshape(-1).tolist(), "bias": loss.classifier.bias.detach().tolist()}
args = SentenceTransformerTrainingArguments(
    output_dir=tempfile.mkdtemp(), per_device_train_batch_size=8, max_steps=3, learning_rate=1e-2, weight_decay=0.1,
    lr_scheduler_type="constant", warmup_steps=0, max_grad_norm=0.1, logging_steps=1, save_strategy="no", report_to="none",
    use_cpu=True, seed=42, dataloader_drop_last=False, disable_tqdm=True,
)
trainer = SequentialTrainer(model=model, args=args, train_dataset=Dataset.from_list(rows), loss=loss, callbacks=[ZeroLossGrads()])
trainer.train()
logs = [h for h in trainer.state.log_history if "loss" in h and "train_runtime" not in h]
named = dict(model[0].auto_model.named_parameters())
out = {
    "rows": rows,
    "batch_size": 8,
    "learning_rate": 1e-2,
    "weight_decay": 0.1,
    "max_grad_norm": 0.1,
    "classifier_init": init,
    "loss": [h["loss"] for h in logs],
    "grad_norm": [float(h["grad_norm"]) for h in logs],
    "lr": [h["learning_rate"] for h in logs],
    "classifier": {"weight": loss.classifier.weight.detach().reshape(-1).tolist(), "bias": loss.classifier.bias.detach().tolist()},
    "params": {k: {"shape": list(named[k].shape), "data": named[k].detach().reshape(-1).tolist()} for k in PARAMS},
}
with open(out_path, "w") as f:
    json.dump(out, f)
print(json.dumps({k: out[k] for k in ["loss", "grad_norm", "lr"]}))
