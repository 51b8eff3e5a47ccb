"""Record the section headings and YAML tags of the model card that sentence-transformers 6.0.1 writes after
CrossEncoderTrainer (tiny-bert-cross-encoder, BinaryCrossEntropyLoss, a correlation evaluator); the test checks that
sentence-tfjs's cross-encoder card has the same sections in the same order (a subsequence: no stats/samples tables,
no citations) and the same tags.  Run: /work/venv/bin/python test/data/model_card/gen_cross_encoder_card.py"""
import json, os, re, sys, tempfile
from datasets import Dataset
from sentence_transformers.cross_encoder import CrossEncoder, CrossEncoderTrainer, CrossEncoderTrainingArguments
from sentence_transformers.cross_encoder.evaluation import CrossEncoderCorrelationEvaluator
from sentence_transformers.cross_encoder.losses import BinaryCrossEntropyLoss

fixtures = os.environ.get('FIXTURES', '/work/shared/fixtures')
m = CrossEncoder(os.path.join(fixtures, 'models', 'tiny-bert-cross-encoder'))
ds = Dataset.from_dict({'sentence1': ['a cat', 'a dog', 'the sun', 'rain'], 'sentence2': ['a kitten', 'a car', 'the moon', 'wet'], 'label': [1.0, 0.0, 0.5, 1.0]})
ev = CrossEncoderCorrelationEvaluator(sentence_pairs=[['a cat', 'a kitten'], ['a dog', 'a car'], ['x', 'y']], scores=[1.0, 0.0, 0.3], name='dev')
with tempfile.TemporaryDirectory() as tmp:
    args = CrossEncoderTrainingArguments(output_dir=tmp, num_train_epochs=1, per_device_train_batch_size=2, learning_rate=1e-4,
                                         eval_strategy='steps', eval_steps=1, save_strategy='no', report_to='none')
    CrossEncoderTrainer(model=m, args=args, train_dataset=ds, loss=BinaryCrossEntropyLoss(m), evaluator=ev).train()
    m.save_pretrained(os.path.join(tmp, 'saved'))
    card = open(os.path.join(tmp, 'saved', 'README.md')).read()
yaml = card.split('---')[1]
body = card.split('---', 2)[2]
body = re.sub(r'<!--.*?-->', '', body, flags=re.S)  # commented-out template sections
body = re.sub(r'```.*?```', '', body, flags=re.S)   # code blocks (their # comments are no headings)
out = {
    'tags': re.findall(r'^- (\S+)$', yaml.split('pipeline_tag')[0], flags=re.M),
    'pipeline_tag': re.search(r'^pipeline_tag: (.*)$', yaml, flags=re.M).group(1),
    'headings': re.findall(r'^(#{2,4} .*)$', body, flags=re.M),
    'model_description': re.findall(r'^- \*\*(Model Type|Maximum Sequence Length|Number of Output Labels):\*\* (.*)$', body, flags=re.M),
    'loss_config': json.loads(re.search(r'with these parameters:\n  ```json\n(.*?)\n  ```', card, flags=re.S).group(1)),
}
json.dump(out, open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'cross_encoder_card.json'), 'w'), indent=1)
print(json.dumps(out, indent=1))
