"""Record sentence-transformers 6.0.1's CrossEncoderTrainer training arguments (transformers Trainer semantics), for
test/training_ce_trainer_args.test.ts.

tiny-bert-cross-encoder (fixtures; 1 label) with dropout 0 (so the TypeScript run follows the same trajectory),
BinaryCrossEntropyLoss, 0/1 labels, per_device_train_batch_size 4, per_device_eval_batch_size 4, logging_steps 1.
Runs:
- steps: 12 rows (3 steps an epoch), 2 epochs, eval_strategy 'steps', eval_steps 3 (the epoch-end step 3 is evaluated once)
- steps_last: eval_steps 4 (steps 4 and 6: the last step is evaluated when not a multiple)
- epoch: the same with eval_strategy 'epoch'
- no: eval_strategy 'no' (an eval_dataset given, never evaluated)
- best_low / best_high: eval_strategy 'steps', eval_steps 1, save_steps 1, load_best_model_at_end, lr 1e-2; best_high
  with metric_for_best_model 'eval_loss', greater_is_better True. Recorded: the evaluations, the best checkpoint's
  step and the final model's predict() on the eval pairs (activation applied).
- ga: gradient_accumulation_steps 2, 12 rows (3 batches an epoch: updates of 2 and 1 batches), 2 epochs; recorded:
  per-update logged losses, grad norms and the final parameters (all but word_embeddings; its changed rows by id).
Run: /work/venv/bin/python test/data/ce_trainer/gen_ce_trainer.py
"""
import json, os, re, tempfile
import torch
from datasets import Dataset
from sentence_transformers.cross_encoder import CrossEncoder, CrossEncoderTrainer, CrossEncoderTrainingArguments
from sentence_transformers.cross_encoder.losses import BinaryCrossEntropyLoss

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.environ.get('FIXTURES', '/work/shared/fixtures')
MODEL = os.path.join(FIXTURES, 'models', 'tiny-bert-cross-encoder')
WORDS = 'red green blue cat dog fish tree river stone cloud paper music light house road'.split()


def text(i, k):
    return ' '.join(WORDS[(i * 7 + k * 3 + j) % len(WORDS)] for j in range(2 + (i + k) % 4))


def rows(n, off):
    return [{'sentence1': text(i + off, 0), 'sentence2': text(i + off, 1 + i % 2), 'label': int((i + off) % 3 == 0)} for i in range(n)]


def no_dropout(model):
    for m in model.modules():
        if isinstance(m, torch.nn.Dropout):
            m.p = 0.0


def run(train_rows, eval_rows, params=False, **kw):
    model = CrossEncoder(MODEL)
    no_dropout(model)
    init = {k: v.detach().clone() for k, v in model.model.named_parameters()}
    with tempfile.TemporaryDirectory() as tmp:
        base = dict(output_dir=tmp, per_device_train_batch_size=4, per_device_eval_batch_size=4, learning_rate=1e-3, seed=42,
                    save_strategy='no', report_to='none', logging_steps=1, disable_tqdm=True)
        base.update(kw)
        args = CrossEncoderTrainingArguments(**base)
        t = CrossEncoderTrainer(model=model, args=args, train_dataset=Dataset.from_list(train_rows), eval_dataset=Dataset.from_list(eval_rows),
                                loss=BinaryCrossEntropyLoss(model))
        t.train()
        logs = t.state.log_history
        best = t.state.best_model_checkpoint
        out = {'args': {k: v for k, v in kw.items()}, 'train': train_rows, 'eval': eval_rows,
               'train_losses': [l['loss'] for l in logs if 'loss' in l],
               'grad_norms': [l['grad_norm'] for l in logs if 'grad_norm' in l],
               'evals': [{'step': l['step'], 'eval_loss': l['eval_loss']} for l in logs if 'eval_loss' in l],
               'global_step': t.state.global_step,
               'best_step': int(re.search(r'checkpoint-(\d+)', best).group(1)) if best else None,
               'predictions': [float(x) for x in model.predict([(r['sentence1'], r['sentence2']) for r in eval_rows])]}
    if params:
        final = {k: v.detach() for k, v in model.model.named_parameters()}
        out['params'] = {k: v.flatten().tolist() for k, v in final.items() if 'word_embeddings' not in k}
        k = next(k for k in final if 'word_embeddings' in k)
        changed = (final[k] != init[k]).any(dim=1).nonzero().flatten().tolist()
        out['word_embeddings'] = {'name': k, 'rows': {str(i): final[k][i].tolist() for i in changed}}
    return out


tr, ev = rows(12, 0), rows(11, 100)
out = {
    'steps': run(tr, ev, num_train_epochs=2, eval_strategy='steps', eval_steps=3),
    'steps_last': run(tr, ev, num_train_epochs=2, eval_strategy='steps', eval_steps=4),
    'epoch': run(tr, ev, num_train_epochs=2, eval_strategy='epoch'),
    'no': run(tr, ev, num_train_epochs=2, eval_strategy='no'),
    'best_low': run(tr, ev, num_train_epochs=2, eval_strategy='steps', eval_steps=1, save_strategy='steps', save_steps=1, load_best_model_at_end=True, learning_rate=1e-2),
    'best_high': run(tr, ev, num_train_epochs=2, eval_strategy='steps', eval_steps=1, save_strategy='steps', save_steps=1, load_best_model_at_end=True,
                     metric_for_best_model='eval_loss', greater_is_better=True, learning_rate=1e-2),
    'ga': run(tr, ev, params=True, num_train_epochs=2, gradient_accumulation_steps=2),
}
with open(os.path.join(HERE, 'ce_trainer.json'), 'w') as f:
    json.dump(out, f)
print(json.dumps({k: {'evals': v['evals'], 'best': v['best_step'], 'losses': v['train_losses'], 'gs': v['global_step']} for k, v in out.items()}, indent=1))
