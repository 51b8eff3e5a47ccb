"""Per-layer sensitivity of the int8 scheme (docs/q8.md) on a sentence-transformers model, in PyTorch.

Simulates exactly the scheme of src/kernels/q8.ts: weights int8 symmetric per output channel (round-half-even,
[-127, 127]); activations per row, 7-bit asymmetric (lo = min(0, min x), hi = max(0, max x), sx = (hi - lo) / 127,
zp = round(-lo / sx), xq = clip(round(x / sx) + zp, 0, 127)). Quantizes one linear kind at a time and reports min /
mean cosine with fp32 over the fixture texts.

  /work/venv/bin/python scripts/q8-sensitivity.py [model_dir] [reference.json]
"""
import json, sys
import torch
from sentence_transformers import SentenceTransformer

model_dir = sys.argv[1] if len(sys.argv) > 1 else '/work/shared/fixtures/models/minilm-l6-full'
ref = sys.argv[2] if len(sys.argv) > 2 else '/work/shared/fixtures/reference/minilm-l6-full/reference.json'
texts = json.load(open(ref))['texts']
torch.set_num_threads(1)
m = SentenceTransformer(model_dir, device='cpu').float()  # the fixture is float16 on disk
m.eval()

def qw(w):
    s = w.abs().amax(1, keepdim=True) / 127
    s = torch.where(s > 0, s, torch.ones_like(s))
    return torch.clamp(torch.round(w / s), -127, 127) * s

def qa_asym7(x):
    lo = torch.clamp(x.amin(-1, keepdim=True), max=0)
    hi = torch.clamp(x.amax(-1, keepdim=True), min=0)
    sx = (hi - lo) / 127
    sx = torch.where(sx > 0, sx, torch.ones_like(sx))
    zp = torch.round(-lo / sx)
    return (torch.clamp(torch.round(x / sx) + zp, 0, 127) - zp) * sx

def qa_asym7_groups(g):
    # per row and group of g consecutive inputs (the attention output with g = head_dim: one scale per head)
    def f(x):
        sh = x.shape
        return qa_asym7(x.reshape(*sh[:-1], sh[-1] // g, g)).reshape(sh)
    return f

def qa_sym8(x):
    s = x.abs().amax(-1, keepdim=True) / 127
    s = torch.where(s > 0, s, torch.ones_like(s))
    return torch.clamp(torch.round(x / s), -127, 127) * s

def kind(name):
    last = name.split('.')[-1]
    if last in ('q_proj', 'k_proj', 'v_proj'): return 'qkv'
    if last == 'o_proj': return 'attn_out'
    if last in ('gate_proj', 'up_proj'): return 'ffn_up'
    if last == 'down_proj': return 'ffn_down'
    if 'attention.self' in name: return 'qkv'
    if 'attention.output' in name: return 'attn_out'
    if 'intermediate' in name: return 'ffn_up'
    if name.endswith('output.dense'): return 'ffn_down'
    return 'other'

linears = {n: mod for n, mod in m[0].named_modules() if isinstance(mod, torch.nn.Linear)}  # the Transformer's (as 'q8' loads)
orig = {n: mod.weight.data.clone() for n, mod in linears.items()}

with torch.no_grad():
    ref_e = m.encode(texts, convert_to_tensor=True, batch_size=32)

def run(kinds, act=qa_asym7, attn_out_act=None, int8_embeddings=False):
    hooks = []
    emb = m[0].auto_model.get_input_embeddings()
    emb_orig = emb.weight.data.clone()
    if int8_embeddings: emb.weight.data = qw(emb_orig)
    for n, mod in linears.items():
        if kind(n) in kinds:
            mod.weight.data = qw(orig[n])
            a_fn = attn_out_act if (attn_out_act and kind(n) == 'attn_out') else act
            hooks.append(mod.register_forward_pre_hook(lambda mod, a, a_fn=a_fn: (a_fn(a[0]),)))
        else:
            mod.weight.data = orig[n].clone()
    with torch.no_grad():
        e = m.encode(texts, convert_to_tensor=True, batch_size=32)
    for h in hooks: h.remove()
    for n, mod in linears.items(): mod.weight.data = orig[n].clone()
    emb.weight.data = emb_orig
    c = torch.nn.functional.cosine_similarity(e, ref_e)
    return c.min().item(), c.mean().item()

ALL = ['qkv', 'attn_out', 'ffn_up', 'ffn_down']
print('| quantized | min cos | mean cos |')
print('| --- | ---: | ---: |')
for ks in [['qkv'], ['attn_out'], ['ffn_up'], ['ffn_down'], ALL, ['qkv', 'attn_out', 'ffn_up'], ['qkv', 'ffn_up', 'ffn_down'], ['qkv', 'attn_out', 'ffn_down']]:
    mn, me = run(ks)
    print(f"| {' + '.join(ks)} | {mn:.6f} | {me:.6f} |")
mn, me = run(ALL, qa_sym8)
print(f"| all, 8-bit symmetric activations | {mn:.6f} | {me:.6f} |")
head_dim = m[0].auto_model.config.hidden_size // m[0].auto_model.config.num_attention_heads
print('| + int8 word embeddings: | | |')
for label, ks, ao in [('all but attention output', ['qkv', 'ffn_up', 'ffn_down'], None), ('all four', ALL, None),
                      (f'all four, attention output per row and head (groups of {head_dim})', ALL, qa_asym7_groups(head_dim))]:
    mn, me = run(ks, attn_out_act=ao, int8_embeddings=True)
    print(f"| {label} | {mn:.6f} | {me:.6f} |")
