"""Record sentence-transformers 6.0.1's validation loss (`eval_loss`, `eval_<name>_loss`) during training, for
test/training_eval_loss.test.ts.

tiny-bert (fixtures) with dropout 0 (so the TypeScript run follows the same trajectory), 4 steps, evaluation every 2
steps, per_device_eval_batch_size 4 on 11 eval rows (batches 4, 4, 3: transformers repeats each batch's loss by the
eval batch size, so a short last batch weighs as much as a full one). Runs:
- cosent: CoSENTLoss, one eval dataset; the eval batches (row ids) are recorded through the collator.
- mnrl_dict: MultipleNegativesRankingLoss, eval_dataset a dict of two datasets (eval_a_loss, eval_b_loss).
- ce_bce: CrossEncoderTrainer with BinaryCrossEntropyLoss on tiny-bert-cross-encoder (fixtures; 1 label), 0/1 labels.
Run: /work/venv/bin/python test/data/eval_loss/gen_eval_loss.py
"""
import json, os, tempfile
import torch
from datasets import Dataset
from sentence_transformers import SentenceTransformer
from sentence_transformers.sentence_transformer import SentenceTransformerTrainer, SentenceTransformerTrainingArguments
from sentence_transformers.sentence_transformer.losses import CoSENTLoss, MultipleNegativesRankingLoss

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.environ.get('FIXTURES', '/work/shared/fixtures')
MODEL = os.path.join(FIXTURES, 'models', 'tiny-bert')
WORDS = 'red green blue cat dog fish tree river stone cloud paper music light house road'.split()


def text(i, k):
    return ' '.join(WORDS[(i * 7 + k * 3 + j) % len(WORDS)] for j in range(2 + (i + k) % 4))


def no_dropout(model):
    for m in model.modules():
        if isinstance(m, torch.nn.Dropout):
            m.p = 0.0


class Recorder:
    def __init__(self, inner, batches):
        self.inner = inner
        self.batches = batches

    def __call__(self, features):
        self.batches.append([f.get('row', -1) for f in features])
        return self.inner([{k: v for k, v in f.items() if k != 'row'} for f in features])

    def __getattr__(self, name):
        return getattr(self.inner, name)


def pairs(n, off):
    rows = [{'sentence1': text(i + off, 0), 'sentence2': text(i + off, 1), 'score': ((i + off) * 37 % 11) / 10} for i in range(n)]
    return rows


def st_run(loss_name, train_rows, eval_rows, card=None):
    model = SentenceTransformer(MODEL)
    no_dropout(model)
    # scale=20 (an int): the card prints a JS number as Python prints an int (`20`, where the default 20.0 prints `20.0`)
    loss = CoSENTLoss(model, scale=20.0) if loss_name == 'cosent' else MultipleNegativesRankingLoss(model, scale=20.0)
    train = Dataset.from_list(train_rows)
    ev = {k: Dataset.from_list(v) for k, v in eval_rows.items()} if isinstance(eval_rows, dict) else Dataset.from_list(eval_rows)
    with tempfile.TemporaryDirectory() as tmp:
        args = SentenceTransformerTrainingArguments(output_dir=tmp, max_steps=4, per_device_train_batch_size=4, per_device_eval_batch_size=4,
                                                    learning_rate=1e-3, seed=42, eval_strategy='steps', eval_steps=2, save_strategy='no',
                                                    report_to='none', logging_steps=1, disable_tqdm=True)
        t = SentenceTransformerTrainer(model=model, args=args, train_dataset=train, eval_dataset=ev, loss=loss)
        t.train()
        logs = t.state.log_history
        if card:  # 6.0.1's README.md of the run (the Evaluation Dataset section, the Validation Loss column)
            model.save(os.path.join(tmp, 'final'))
            with open(os.path.join(tmp, 'final', 'README.md')) as f, open(os.path.join(HERE, card), 'w') as g:
                g.write(f.read())
    return {'loss': loss_name, 'train': train_rows, 'eval': eval_rows,
            'train_losses': [l['loss'] for l in logs if 'loss' in l],
            'evals': [{k: v for k, v in l.items() if k.startswith('eval_') and k.endswith('loss')} | {'step': l['step']} for l in logs if any(k.startswith('eval_') for k in l)]}


out = {}
out['cosent'] = st_run('cosent', pairs(12, 0), pairs(11, 100), 'st_eval_card.md')
mn = lambda n, off: [{'anchor': text(i + off, 0), 'positive': text(i + off, 2)} for i in range(n)]
out['mnrl_dict'] = st_run('mnrl', mn(12, 0), {'a': mn(11, 200), 'b': mn(6, 300)}, 'st_eval_dict_card.md')


def ce_run():
    from sentence_transformers.cross_encoder import CrossEncoder, CrossEncoderTrainer, CrossEncoderTrainingArguments
    from sentence_transformers.cross_encoder.losses import BinaryCrossEntropyLoss
    model = CrossEncoder(os.path.join(FIXTURES, 'models', 'tiny-bert-cross-encoder'))
    no_dropout(model)
    # int labels: the card types a JS number 0 as int, as 6.0.1 types Python's 0 (0.0 would print float)
    rows = lambda n, off: [{'sentence1': text(i + off, 0), 'sentence2': text(i + off, 1 + i % 2), 'label': int((i + off) % 3 == 0)} for i in range(n)]
    train_rows, eval_rows = rows(16, 0), rows(11, 100)
    with tempfile.TemporaryDirectory() as tmp:
        args = CrossEncoderTrainingArguments(output_dir=tmp, max_steps=4, per_device_train_batch_size=4, per_device_eval_batch_size=4,
                                             learning_rate=1e-3, seed=42, eval_strategy='steps', eval_steps=2, save_strategy='no',
                                             report_to='none', logging_steps=1, disable_tqdm=True)
        t = CrossEncoderTrainer(model=model, args=args, train_dataset=Dataset.from_list(train_rows), eval_dataset=Dataset.from_list(eval_rows),
                                loss=BinaryCrossEntropyLoss(model))
        t.train()
        logs = t.state.log_history
        model.save(os.path.join(tmp, 'final'))
        with open(os.path.join(tmp, 'final', 'README.md')) as f, open(os.path.join(HERE, 'ce_eval_card.md'), 'w') as g:
            g.write(f.read())
    return {'loss': 'bce', 'train': train_rows, 'eval': eval_rows, 'train_losses': [l['loss'] for l in logs if 'loss' in l],
            'evals': [{k: v for k, v in l.items() if k.startswith('eval_') and k.endswith('loss')} | {'step': l['step']} for l in logs if any(k.startswith('eval_') for k in l)]}


out['ce_bce'] = ce_run()
with open(os.path.join(HERE, 'eval_loss.json'), 'w') as f:
    json.dump(out, f, indent=1)
print(json.dumps({k: v['evals'] for k, v in out.items()}, indent=1))
