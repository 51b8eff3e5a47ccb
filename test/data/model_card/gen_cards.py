"""Record what sentence-transformers 6.0.1 writes into a model card (README.md) for one short training run of the
fixtures' tiny models, so that sentence-tfjs's card can be compared with it section by section:
  * st_card.md: SentenceTransformerTrainer on tiny-bert (dropout off), CoSENTLoss(scale=15.0: the float its annotation names, as a JS number given for it prints), 8 rows
    (sentence1, sentence2, score), batch 4, 2 epochs (4 steps), logging_steps 1, an EmbeddingSimilarityEvaluator
    ('sts-dev') every 2 steps, seed 7;
  * ce_card.md: CrossEncoderTrainer on tiny-bert-cross-encoder (dropout off), BinaryCrossEntropyLoss, 4 rows
    (sentence1, sentence2, label), batch 2, 1 epoch (2 steps), logging_steps 1, a CrossEncoderCorrelationEvaluator
    ('dev') every step;
  * st_best_card.md: the bi-encoder run with load_best_model_at_end (evaluations and checkpoints every step);
  * reprs.json: repr(model) of every fixture model (the card's "Full Model Architecture");
  * citations.json: the `citation` of each loss sentence-tfjs implements (null: none).
Run: /work/venv/bin/python test/data/model_card/gen_cards.py"""
import inspect, json, os, tempfile, warnings
warnings.filterwarnings('ignore')
from datasets import Dataset
from sentence_transformers import SentenceTransformer, SentenceTransformerTrainer, SentenceTransformerTrainingArguments, SparseEncoder, losses
from sentence_transformers.evaluation import EmbeddingSimilarityEvaluator
from sentence_transformers.cross_encoder import CrossEncoder, CrossEncoderTrainer, CrossEncoderTrainingArguments
from sentence_transformers.cross_encoder import losses as ce_losses
from sentence_transformers.cross_encoder.evaluation import CrossEncoderCorrelationEvaluator

here = os.path.dirname(os.path.abspath(__file__))
fixtures = os.path.join(os.environ.get('FIXTURES', '/work/shared/fixtures'), 'models')
NO_DROPOUT = {'hidden_dropout_prob': 0.0, 'attention_probs_dropout_prob': 0.0}
S1 = ['A man is eating food.', 'A man is riding a horse.', 'The girl is carrying a baby.', 'A woman plays the violin.',
      'Two dogs run in a field.', 'A child reads a book | slowly.', 'The kettle is boiling.', 'A plane takes off.']
S2 = ['A man eats.', 'A person rides a horse.', 'It is raining.', 'Stocks fell today.',
      'Dogs are running outside.', 'A kid is reading.', 'Water is being heated.', 'A cat sleeps.']
SCORES = [0.9, 0.8, 0.1, 0.0, 0.85, 0.7, 0.6, 0.05]


def card_of(model, trainer_cls, args_cls, ds, loss, evaluator, **args):
    with tempfile.TemporaryDirectory() as tmp:
        args.setdefault('save_strategy', args.pop('save_strategy_override', 'no'))
        a = args_cls(output_dir=tmp, report_to='none', logging_steps=1, **args)
        trainer_cls(model=model, args=a, train_dataset=ds, loss=loss, evaluator=evaluator).train()
        model.save_pretrained(os.path.join(tmp, 'saved'))
        return open(os.path.join(tmp, 'saved', 'README.md')).read()


st = SentenceTransformer(os.path.join(fixtures, 'tiny-bert'), config_kwargs=NO_DROPOUT)
st_ds = Dataset.from_dict({'sentence1': S1, 'sentence2': S2, 'score': SCORES})
st_ev = EmbeddingSimilarityEvaluator(S1[:4], S2[:4], SCORES[:4], name='sts-dev')
st_card = card_of(st, SentenceTransformerTrainer, SentenceTransformerTrainingArguments, st_ds, losses.CoSENTLoss(st, scale=15.0), st_ev,
                  num_train_epochs=2, per_device_train_batch_size=4, learning_rate=1e-3, warmup_ratio=0.25,
                  eval_strategy='steps', eval_steps=2, seed=7)
open(os.path.join(here, 'st_card.md'), 'w').write(st_card)

# The same run keeping the best checkpoint (load_best_model_at_end; evaluations and saves every step): the kept
# step's Training Logs row is bold.
st = SentenceTransformer(os.path.join(fixtures, 'tiny-bert'), config_kwargs=NO_DROPOUT)
best_card = card_of(st, SentenceTransformerTrainer, SentenceTransformerTrainingArguments, st_ds, losses.CoSENTLoss(st, scale=15.0), st_ev,
                    num_train_epochs=2, per_device_train_batch_size=4, learning_rate=1e-3, warmup_ratio=0.25,
                    eval_strategy='steps', eval_steps=1, seed=7, save_strategy_override='steps', save_steps=1,
                    load_best_model_at_end=True, metric_for_best_model='sts-dev_spearman_cosine')
open(os.path.join(here, 'st_best_card.md'), 'w').write(best_card)

ce = CrossEncoder(os.path.join(fixtures, 'tiny-bert-cross-encoder'), config_kwargs=NO_DROPOUT)
ce_ds = Dataset.from_dict({'sentence1': ['a cat', 'a dog', 'the sun', 'rain'], 'sentence2': ['a kitten', 'a car', 'the moon', 'wet'], 'label': [1.0, 0.0, 0.5, 1.0]})
ce_ev = CrossEncoderCorrelationEvaluator(sentence_pairs=[['a cat', 'a kitten'], ['a dog', 'a car'], ['x', 'y']], scores=[1.0, 0.0, 0.3], name='dev')
ce_card = card_of(ce, CrossEncoderTrainer, CrossEncoderTrainingArguments, ce_ds, ce_losses.BinaryCrossEntropyLoss(ce), ce_ev,
                  num_train_epochs=1, per_device_train_batch_size=2, learning_rate=1e-4, eval_strategy='steps', eval_steps=1)
open(os.path.join(here, 'ce_card.md'), 'w').write(ce_card)

reprs = {}
for name in sorted(os.listdir(fixtures)):
    p = os.path.join(fixtures, name)
    cls = CrossEncoder if 'cross-encoder' in name else SparseEncoder if 'splade' in name else SentenceTransformer
    reprs[name] = repr(cls(p))
json.dump(reprs, open(os.path.join(here, 'reprs.json'), 'w'), indent=1)

# The `citation` of each loss sentence-tfjs implements, from an instance (MNRL's depends on its directions);
# None where 6.0.1's class has no `citation` (the card then cites Sentence Transformers only).
tb = SentenceTransformer(os.path.join(fixtures, 'tiny-bert'))
ce_model = CrossEncoder(os.path.join(fixtures, 'tiny-bert-cross-encoder'))
ours = {
    'AnglELoss': losses.AnglELoss(tb), 'BatchAllTripletLoss': losses.BatchAllTripletLoss(tb),
    'BatchHardTripletLoss': losses.BatchHardTripletLoss(tb), 'BatchSemiHardTripletLoss': losses.BatchSemiHardTripletLoss(tb),
    'CachedMultipleNegativesRankingLoss': losses.CachedMultipleNegativesRankingLoss(tb), 'ContrastiveLoss': losses.ContrastiveLoss(tb),
    'CoSENTLoss': losses.CoSENTLoss(tb), 'CosineSimilarityLoss': losses.CosineSimilarityLoss(tb),
    'MatryoshkaLoss': losses.MatryoshkaLoss(tb, losses.CoSENTLoss(tb), [32, 16]), 'MSELoss': losses.MSELoss(tb),
    'MultipleNegativesRankingLoss': losses.MultipleNegativesRankingLoss(tb),
    'MultipleNegativesSymmetricRankingLoss': losses.MultipleNegativesSymmetricRankingLoss(tb),
    'OnlineContrastiveLoss': losses.OnlineContrastiveLoss(tb),
    'SoftmaxLoss': losses.SoftmaxLoss(tb, tb.get_sentence_embedding_dimension(), 3), 'TripletLoss': losses.TripletLoss(tb),
    'cross_encoder.BinaryCrossEntropyLoss': ce_losses.BinaryCrossEntropyLoss(ce_model),
    'cross_encoder.CrossEntropyLoss': ce_losses.CrossEntropyLoss(ce_model), 'cross_encoder.MSELoss': ce_losses.MSELoss(ce_model),
}
citations = {}
for name, loss in ours.items():
    try:
        citations[name] = loss.citation
    except AttributeError:
        citations[name] = None
json.dump(citations, open(os.path.join(here, 'citations.json'), 'w'), indent=1, ensure_ascii=False)
print(st_card)
print(ce_card)
