"""Record torch's CPU generator and sentence-transformers 6.0.1's batch order, for test/training_torch_shuffle.test.ts.

- randperm: torch.randperm(n, generator=torch.Generator().manual_seed(seed)) for several (n, seed), and two
  consecutive randperms from one generator (the generator's state carries over).
- random: the first raw 32-bit outputs of the generator (torch.Generator.random_ on an int64 tensor is not used;
  torch.randint(2**32) is not raw either, so they come from randperm's swaps: see the test).
- trainer: the batches (as row indices) of real SentenceTransformerTrainer runs on tiny-bert: default batch sampler
  and no_duplicates, several seeds, 3 epochs, a dataset size that leaves a short last batch.
- fit: the legacy model.fit(DataLoader(shuffle=True)) after torch.manual_seed(s).

Run: /work/venv/bin/python test/data/torch_shuffle/gen_torch_shuffle.py
"""
import json, os, tempfile
import torch
from datasets import Dataset
from sentence_transformers import SentenceTransformer, InputExample
from sentence_transformers.sentence_transformer import SentenceTransformerTrainer, SentenceTransformerTrainingArguments
from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
from sentence_transformers.base.sampler import BatchSamplers
from torch.utils.data import DataLoader

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.environ.get('FIXTURES', '/work/shared/fixtures')
MODEL = os.path.join(FIXTURES, 'models', 'tiny-bert')

out = {'randperm': [], 'randperm_twice': [], 'trainer': [], 'fit': []}
for n in [1, 2, 3, 10, 17, 100, 1000]:
    for seed in [0, 1, 42, 12345, 2**32 + 7]:
        g = torch.Generator().manual_seed(seed)
        out['randperm'].append({'n': n, 'seed': seed, 'perm': torch.randperm(n, generator=g).tolist()})
for n, seed in [(10, 42), (7, 3)]:
    g = torch.Generator().manual_seed(seed)
    out['randperm_twice'].append({'n': n, 'seed': seed, 'perms': [torch.randperm(n, generator=g).tolist(), torch.randperm(n, generator=g).tolist()]})


class Recorder:
    """Wraps the trainer's data collator: records each batch's row ids (the anchor texts are `a<i>`)."""

    def __init__(self, inner, batches):
        self.inner = inner
        self.batches = batches

    def __call__(self, features):
        self.batches.append([int(f['anchor'][1:]) if 'anchor' in f else int(f['sentence_0'][1:]) for f in features])
        return self.inner(features)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def trainer_run(n, batch_size, epochs, seed, sampler, dup_every=0):
    model = SentenceTransformer(MODEL)
    anchors = [f'a{i}' for i in range(n)]
    # no_duplicates: every dup_every-th row repeats row 0's positive, so batches must defer it
    positives = [('p0' if dup_every and i % dup_every == 0 else f'p{i}') for i in range(n)]
    ds = Dataset.from_dict({'anchor': anchors, 'positive': positives})
    with tempfile.TemporaryDirectory() as tmp:
        args = SentenceTransformerTrainingArguments(output_dir=tmp, num_train_epochs=epochs, per_device_train_batch_size=batch_size,
                                                    learning_rate=0.0, seed=seed, batch_sampler=sampler, save_strategy='no',
                                                    report_to='none', logging_steps=1000, disable_tqdm=True)
        t = SentenceTransformerTrainer(model=model, args=args, train_dataset=ds, loss=MultipleNegativesRankingLoss(model))
        batches = []
        t.data_collator = Recorder(t.data_collator, batches)
        t.train()
    return {'n': n, 'batch_size': batch_size, 'epochs': epochs, 'seed': seed, 'sampler': str(sampler.value), 'dup_every': dup_every, 'batches': batches}


out['trainer'].append(trainer_run(10, 3, 3, 42, BatchSamplers.BATCH_SAMPLER))
out['trainer'].append(trainer_run(10, 3, 3, 7, BatchSamplers.BATCH_SAMPLER))
out['trainer'].append(trainer_run(13, 4, 2, 123, BatchSamplers.BATCH_SAMPLER))
out['trainer'].append(trainer_run(12, 4, 3, 42, BatchSamplers.NO_DUPLICATES, dup_every=3))
out['trainer'].append(trainer_run(12, 4, 2, 5, BatchSamplers.NO_DUPLICATES, dup_every=4))

# fit(): the DataLoader(shuffle=True) is iterated once (global RNG) to build the dataset, then the trainer shuffles.
for seed, n, bs in [(42, 10, 3), (0, 9, 4)]:
    torch.manual_seed(seed)
    model = SentenceTransformer(MODEL)
    examples = [InputExample(texts=[f'a{i}', f'p{i}'], label=float(i)) for i in range(n)]
    dl = DataLoader(examples, shuffle=True, batch_size=bs)
    batches = []
    import sentence_transformers.sentence_transformer.trainer as trmod
    orig = trmod.SentenceTransformerTrainer.__init__

    def patched(self, *a, **k):
        orig(self, *a, **k)
        self.data_collator = Recorder(self.data_collator, batches)
    trmod.SentenceTransformerTrainer.__init__ = patched
    try:
        torch.manual_seed(seed)
        with tempfile.TemporaryDirectory() as tmp:
            model.fit(train_objectives=[(dl, MultipleNegativesRankingLoss(model))], epochs=2, warmup_steps=0, optimizer_params={'lr': 0.0}, show_progress_bar=False, checkpoint_path=None)
    finally:
        trmod.SentenceTransformerTrainer.__init__ = orig
    out['fit'].append({'seed': seed, 'n': n, 'batch_size': bs, 'epochs': 2, 'batches': batches})

json.dump(out, open(os.path.join(HERE, 'torch_shuffle.json'), 'w'))
print(json.dumps({k: (v if k in ('trainer', 'fit') else len(v)) for k, v in out.items()}, indent=None))

# fit() with two objectives: the round robin draws each objective's randperm lazily from one shared generator.
torch.manual_seed(3)
model = SentenceTransformer(MODEL)
dls = [DataLoader([InputExample(texts=[f'a{i}', f'p{i}'], label=float(i)) for i in range(7)], shuffle=True, batch_size=3),
       DataLoader([InputExample(texts=[f'b{i}', f'q{i}'], label=float(i)) for i in range(5)], shuffle=True, batch_size=2)]
texts = []


class TextRecorder(Recorder):
    def __call__(self, features):
        self.batches.append([f['sentence_0'] for f in features])
        return self.inner(features)


def patched2(self, *a, **k):
    orig(self, *a, **k)
    self.data_collator = TextRecorder(self.data_collator, texts)


trmod.SentenceTransformerTrainer.__init__ = patched2
try:
    torch.manual_seed(3)
    model.fit(train_objectives=[(dl, MultipleNegativesRankingLoss(model)) for dl in dls], epochs=2, warmup_steps=0, optimizer_params={'lr': 0.0}, show_progress_bar=False)
finally:
    trmod.SentenceTransformerTrainer.__init__ = orig
out['fit_two_objectives'] = {'seed': 3, 'sizes': [7, 5], 'batch_sizes': [3, 2], 'epochs': 2, 'batches': texts}
json.dump(out, open(os.path.join(HERE, 'torch_shuffle.json'), 'w'))
print(out['fit_two_objectives'])

# CrossEncoderTrainer (seed 11, 3 epochs) and CrossEncoder.fit (after torch.manual_seed(4)) on tiny-bert-cross-encoder.
from sentence_transformers.cross_encoder import CrossEncoder, CrossEncoderTrainer, CrossEncoderTrainingArguments
from sentence_transformers.cross_encoder.losses import BinaryCrossEntropyLoss
import sentence_transformers.cross_encoder.trainer as cetrmod

CE_MODEL = os.path.join(FIXTURES, 'models', 'tiny-bert-cross-encoder')
ce_batches = []


class CERecorder(Recorder):
    def __call__(self, features):
        first = 'sentence1' if 'sentence1' in features[0] else 'sentence_0'
        self.batches.append([int(f[first][1:]) for f in features])
        return self.inner(features)


ce = CrossEncoder(CE_MODEL)
ds = Dataset.from_dict({'sentence1': [f'a{i}' for i in range(9)], 'sentence2': [f'p{i}' for i in range(9)], 'label': [float(i % 2) for i in range(9)]})
with tempfile.TemporaryDirectory() as tmp:
    args = CrossEncoderTrainingArguments(output_dir=tmp, num_train_epochs=3, per_device_train_batch_size=4, learning_rate=0.0, seed=11, save_strategy='no', report_to='none', disable_tqdm=True)
    t = CrossEncoderTrainer(model=ce, args=args, train_dataset=ds, loss=BinaryCrossEntropyLoss(ce))
    t.data_collator = CERecorder(t.data_collator, ce_batches)
    t.train()
out['cross_encoder_trainer'] = {'n': 9, 'batch_size': 4, 'epochs': 3, 'seed': 11, 'batches': ce_batches}

ce_fit_batches = []
orig_ce = cetrmod.CrossEncoderTrainer.__init__


def patched_ce(self, *a, **k):
    orig_ce(self, *a, **k)
    self.data_collator = CERecorder(self.data_collator, ce_fit_batches)


cetrmod.CrossEncoderTrainer.__init__ = patched_ce
try:
    ce = CrossEncoder(CE_MODEL)
    examples = [InputExample(texts=[f'a{i}', f'p{i}'], label=float(i % 2)) for i in range(9)]
    dl = DataLoader(examples, shuffle=True, batch_size=4)
    torch.manual_seed(4)
    ce.fit(train_dataloader=dl, epochs=2, warmup_steps=0, optimizer_params={'lr': 0.0}, show_progress_bar=False)
finally:
    cetrmod.CrossEncoderTrainer.__init__ = orig_ce
out['cross_encoder_fit'] = {'n': 9, 'batch_size': 4, 'epochs': 2, 'seed': 4, 'batches': ce_fit_batches}
json.dump(out, open(os.path.join(HERE, 'torch_shuffle.json'), 'w'))
print(out['cross_encoder_trainer'], out['cross_encoder_fit'])
