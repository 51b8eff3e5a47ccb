"""Record where transformers 5.18 applies dropout in ModernBERT, Qwen3 and Gemma3 (EmbeddingGemma), for
test/dropout_sites.test.ts: with every dropout probability of the config set to 0.1, the names of the nn.Dropout
modules, and of the attention modules whose functional dropout of the probabilities uses `attention_dropout`
(eager_attention_forward's `dropout=self.attention_dropout if self.training`), with their probabilities.
Run: /work/venv/bin/python test/data/dropout_sites/gen_dropout_sites.py"""
import json, os
import torch
from transformers import AutoConfig, AutoModel, AutoModelForSequenceClassification

FIXTURES = os.environ.get('FIXTURES', '/work/shared/fixtures')
HERE = os.path.dirname(os.path.abspath(__file__))
P = 0.1
KEYS = ['embedding_dropout', 'attention_dropout', 'mlp_dropout', 'classifier_dropout']


def sites(model):
    out = []
    for name, m in model.named_modules():
        if isinstance(m, torch.nn.Dropout):
            out.append({'site': name, 'kind': 'module', 'p': m.p})
        elif hasattr(m, 'attention_dropout') and isinstance(getattr(m, 'attention_dropout'), (int, float)) and not isinstance(m, torch.nn.Dropout):
            out.append({'site': name, 'kind': 'attention_probs', 'p': float(m.attention_dropout)})
    return out


result = {}
for fixture, cls in [('tiny-modernbert', AutoModel), ('tiny-qwen3', AutoModel), ('tiny-embeddinggemma', AutoModel), ('tiny-modernbert-cross-encoder', AutoModelForSequenceClassification)]:
    path = os.path.join(FIXTURES, 'models', fixture)
    cfg = AutoConfig.from_pretrained(path)
    overrides = {k: P for k in KEYS if hasattr(cfg, k)}
    for k, v in overrides.items():
        setattr(cfg, k, v)
    model = cls.from_pretrained(path, config=cfg)
    result[fixture] = {'config_overrides': overrides, 'sites': sites(model), 'base_model_prefix': model.base_model_prefix if cls is AutoModelForSequenceClassification else ''}
json.dump(result, open(os.path.join(HERE, 'dropout_sites.json'), 'w'), indent=1)
for k, v in result.items():
    print(k, v['config_overrides'], [(s['site'], s['kind'], s['p']) for s in v['sites']])
