"""Record how sentence-transformers 6.0.1's model card prints numbers that JavaScript cannot type: a loss option that
6.0.1 holds as a Python float (json.dumps: `20.0`, `1.0`, `0.0`) and a dataset column's type (int or float).
For each run below (tiny-bert, one optimizer step, batch 4; the rows built with `Dataset.from_list` from the same
JSON-like rows the test gives sentence-tfjs), the card's "### Training Dataset" section is kept, verbatim:
  * each loss with a float option, at its defaults (CoSENT, AnglE, MNRL, MNSRL, CMNRL: `scale` 20.0, MNRL's
    `hardness_strength` 0.0) or a whole float given (ContrastiveLoss / OnlineContrastiveLoss `margin=1.0`), and the
    losses whose option is an int in 6.0.1 (TripletLoss `triplet_margin` 5, BatchHardTripletLoss `margin` 5: their
    defaults are int literals although annotated `float`);
  * a score column whose first 100 values are whole and whose 101st is 0.5: Arrow types the whole column float64, so
    6.0.1 prints `float` (min/mean/max) and the samples as `1.0`;
  * `score_whole_int` / `score_whole_float`: a score column of whole values only, from JSON ints (`int`, shares) and
    from Python floats (`float`, min/mean/max) -- a JS number cannot tell these apart (recorded, not compared).
Also `json.dumps(loss.get_config_dict(), indent=4)` (the card's text) of every loss sentence-tfjs implements, at its
defaults (SoftmaxLoss: 3 labels; MatryoshkaLoss over CoSENTLoss, dims [32, 16]; BinaryCrossEntropyLoss with
`pos_weight=torch.tensor(2.0)` too).
The cross-encoder CrossEntropyLoss's section too (6.0.1's class has no get_config_dict: no parameters block).
Output: float_cards.json {run name: section text, 'config_dicts': {loss: text, or null without get_config_dict}}.
Run: /work/venv/bin/python test/data/model_card/gen_float_cards.py"""
import json, os, tempfile, warnings
warnings.filterwarnings('ignore')
from datasets import Dataset
from sentence_transformers import SentenceTransformer, SentenceTransformerTrainer, SentenceTransformerTrainingArguments, losses

here = os.path.dirname(os.path.abspath(__file__))
fixtures = os.path.join(os.environ.get('FIXTURES', '/work/shared/fixtures'), 'models')
S1 = ['A man is eating food.', 'A man is riding a horse.', 'The girl is carrying a baby.', 'A woman plays the violin.']
S2 = ['A man eats.', 'A person rides a horse.', 'It is raining.', 'Stocks fell today.']
S3 = ['The sky is blue.', 'Dogs bark.', 'A car drives by.', 'Music is loud.']


def section(model, rows, loss):
    with tempfile.TemporaryDirectory() as tmp:
        args = SentenceTransformerTrainingArguments(output_dir=tmp, report_to='none', per_device_train_batch_size=4, max_steps=1, save_strategy='no', seed=7)
        SentenceTransformerTrainer(model=model, args=args, train_dataset=Dataset.from_list(rows), loss=loss).train()
        model.save_pretrained(os.path.join(tmp, 'saved'))
        card = open(os.path.join(tmp, 'saved', 'README.md')).read()
    start = card.index('### Training Dataset')
    return card[start:card.index('### Training Hyperparameters')]


def model():
    return SentenceTransformer(os.path.join(fixtures, 'tiny-bert'))


scored = [{'sentence1': a, 'sentence2': b, 'score': s} for a, b, s in zip(S1, S2, [1.0, 0.0, 0.5, 1.0])]
labelled = [{'sentence1': a, 'sentence2': b, 'label': s} for a, b, s in zip(S1, S2, [1, 0, 1, 0])]
pairs = [{'anchor': a, 'positive': b} for a, b in zip(S1, S2)]
triplets = [{'anchor': a, 'positive': b, 'negative': c} for a, b, c in zip(S1, S2, S3)]
by_label = [{'sentence': s, 'label': i % 2} for i, s in enumerate(S1 + S2)]
late_float = [{'sentence1': S1[i % 4], 'sentence2': S2[i % 4], 'score': 0.5 if i == 100 else float(i % 2)} for i in range(104)]
whole_int = [{'sentence1': a, 'sentence2': b, 'score': s} for a, b, s in zip(S1, S2, [1, 0, 1, 0])]
whole_float = [{'sentence1': a, 'sentence2': b, 'score': s} for a, b, s in zip(S1, S2, [1.0, 0.0, 1.0, 0.0])]

out = {}
m = model(); out['CoSENTLoss'] = section(m, scored, losses.CoSENTLoss(m))
m = model(); out['AnglELoss'] = section(m, scored, losses.AnglELoss(m))
m = model(); out['ContrastiveLoss'] = section(m, labelled, losses.ContrastiveLoss(m, margin=1.0))
m = model(); out['OnlineContrastiveLoss'] = section(m, labelled, losses.OnlineContrastiveLoss(m, margin=1.0))
m = model(); out['MultipleNegativesRankingLoss'] = section(m, pairs, losses.MultipleNegativesRankingLoss(m))
m = model(); out['MultipleNegativesSymmetricRankingLoss'] = section(m, pairs, losses.MultipleNegativesSymmetricRankingLoss(m))
m = model(); out['CachedMultipleNegativesRankingLoss'] = section(m, pairs, losses.CachedMultipleNegativesRankingLoss(m, mini_batch_size=2))
m = model(); out['TripletLoss'] = section(m, triplets, losses.TripletLoss(m))
m = model(); out['BatchHardTripletLoss'] = section(m, by_label, losses.BatchHardTripletLoss(m))
m = model(); out['score_late_float'] = section(m, late_float, losses.CoSENTLoss(m))
m = model(); out['score_whole_int'] = section(m, whole_int, losses.CoSENTLoss(m))
m = model(); out['score_whole_float'] = section(m, whole_float, losses.CoSENTLoss(m))
from sentence_transformers.cross_encoder import CrossEncoder
from sentence_transformers.cross_encoder import losses as ce_losses
import torch
tb = model()
ce = CrossEncoder(os.path.join(fixtures, 'tiny-bert-cross-encoder'))
every = {
    'AnglELoss': losses.AnglELoss(tb), 'BatchAllTripletLoss': losses.BatchAllTripletLoss(tb),
    'BatchHardTripletLoss': losses.BatchHardTripletLoss(tb), 'BatchSemiHardTripletLoss': losses.BatchSemiHardTripletLoss(tb),
    'CachedMultipleNegativesRankingLoss': losses.CachedMultipleNegativesRankingLoss(tb), 'ContrastiveLoss': losses.ContrastiveLoss(tb),
    'CoSENTLoss': losses.CoSENTLoss(tb), 'CosineSimilarityLoss': losses.CosineSimilarityLoss(tb),
    'MatryoshkaLoss': losses.MatryoshkaLoss(tb, losses.CoSENTLoss(tb), [32, 16]), 'MSELoss': losses.MSELoss(tb),
    'MultipleNegativesRankingLoss': losses.MultipleNegativesRankingLoss(tb),
    'MultipleNegativesSymmetricRankingLoss': losses.MultipleNegativesSymmetricRankingLoss(tb),
    'OnlineContrastiveLoss': losses.OnlineContrastiveLoss(tb),
    'SoftmaxLoss': losses.SoftmaxLoss(tb, tb.get_sentence_embedding_dimension(), 3), 'TripletLoss': losses.TripletLoss(tb),
    'cross_encoder.BinaryCrossEntropyLoss': ce_losses.BinaryCrossEntropyLoss(ce),
    'cross_encoder.BinaryCrossEntropyLoss(pos_weight=2.0)': ce_losses.BinaryCrossEntropyLoss(ce, pos_weight=torch.tensor(2.0)),
    'cross_encoder.CrossEntropyLoss': ce_losses.CrossEntropyLoss(ce), 'cross_encoder.MSELoss': ce_losses.MSELoss(ce),
}
# The cross-encoder CrossEntropyLoss (no get_config_dict in 6.0.1): its card's Training Dataset section, one step of
# tiny-roberta-nli-cross-encoder (3 labels) on 4 rows
from sentence_transformers.cross_encoder import CrossEncoderTrainer, CrossEncoderTrainingArguments
nli = CrossEncoder(os.path.join(fixtures, 'tiny-roberta-nli-cross-encoder'))
with tempfile.TemporaryDirectory() as tmp:
    a = CrossEncoderTrainingArguments(output_dir=tmp, report_to='none', per_device_train_batch_size=4, max_steps=1, save_strategy='no', seed=7)
    nli_rows = [{'sentence1': x, 'sentence2': y, 'label': i % 3} for i, (x, y) in enumerate(zip(S1, S2))]
    CrossEncoderTrainer(model=nli, args=a, train_dataset=Dataset.from_list(nli_rows), loss=ce_losses.CrossEntropyLoss(nli)).train()
    nli.save_pretrained(os.path.join(tmp, 'saved'))
    card = open(os.path.join(tmp, 'saved', 'README.md')).read()
out['cross_encoder.CrossEntropyLoss'] = card[card.index('### Training Dataset'):card.index('### Training Hyperparameters')]
# None: the class has no get_config_dict (6.0.1's cross-encoder CrossEntropyLoss; its card then shows no parameters)
out['config_dicts'] = {name: json.dumps(loss.get_config_dict(), indent=4) if hasattr(loss, 'get_config_dict') else None for name, loss in every.items()}
json.dump(out, open(os.path.join(here, 'float_cards.json'), 'w'), indent=1)
