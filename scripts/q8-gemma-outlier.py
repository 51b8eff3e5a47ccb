"""Why tiny-embeddinggemma has one text at cosine 0.91-0.98 between q8 and fp32 (issue 17; docs/q8.md's scheme).

A float emulation in PyTorch of exactly our int8 scheme (as scripts/q8-sensitivity.py: weights int8 symmetric per
output channel, activations 7-bit asymmetric per row; plus the int8 per-row word embeddings that a 'q8' load makes of a
table of >= 2^20 entries), one linear kind at a time, then where the error of the worst text grows: the pooled vector
(Transformer + mean pooling) vs after the model's two Dense modules (which stay float32), with the singular values of
their product.

  /work/venv/bin/python scripts/q8-gemma-outlier.py [model_dir] [reference.json]
"""
import json, torch, sys
from sentence_transformers import SentenceTransformer
torch.set_num_threads(1)
d = sys.argv[1] if len(sys.argv) > 1 else '/work/shared/fixtures/models/tiny-embeddinggemma'
texts = json.load(open(sys.argv[2] if len(sys.argv) > 2 else '/work/shared/fixtures/reference/tiny-embeddinggemma/reference.json'))['texts']
m=SentenceTransformer(d, device='cpu').float().eval()
tr=m[0].auto_model
def qw(w):
    s=w.abs().amax(1,keepdim=True)/127; s=torch.where(s>0,s,torch.ones_like(s)); return torch.clamp(torch.round(w/s),-127,127)*s
def qa(x):
    lo=torch.clamp(x.amin(-1,keepdim=True),max=0); hi=torch.clamp(x.amax(-1,keepdim=True),min=0)
    sx=(hi-lo)/127; sx=torch.where(sx>0,sx,torch.ones_like(sx)); zp=torch.round(-lo/sx)
    return (torch.clamp(torch.round(x/sx)+zp,0,127)-zp)*sx
lin={n:mod for n,mod in tr.named_modules() if isinstance(mod, torch.nn.Linear)}
orig={n:mod.weight.data.clone() for n,mod in lin.items()}
emb=tr.embed_tokens; E0=emb.weight.data.clone()
with torch.no_grad(): ref=m.encode(texts, convert_to_tensor=True, batch_size=32)
def run(pred, embq=False, act=qa):
    hooks=[]
    for n,mod in lin.items():
        if pred(n):
            mod.weight.data=qw(orig[n]); hooks.append(mod.register_forward_pre_hook(lambda mod,a:(act(a[0]),)))
    if embq: emb.weight.data=qw(E0)
    with torch.no_grad(): e=m.encode(texts, convert_to_tensor=True, batch_size=32)
    for h in hooks: h.remove()
    for n,mod in lin.items(): mod.weight.data=orig[n].clone()
    emb.weight.data=E0.clone()
    return torch.nn.functional.cosine_similarity(e,ref)
print('linears:', list(lin)[:8], '...', len(lin))
cfgs={'all (ours: o_proj fp32, emb int8)': (lambda n: not n.endswith('o_proj'), True),
 'all incl o_proj, emb int8': (lambda n: True, True),
 'embeddings only': (lambda n: False, True),
 'q/k/v only': (lambda n: n.split('.')[-1] in ('q_proj','k_proj','v_proj'), False),
 'o_proj only': (lambda n: n.endswith('o_proj'), False),
 'gate/up only': (lambda n: n.split('.')[-1] in ('gate_proj','up_proj'), False),
 'down only': (lambda n: n.endswith('down_proj'), False),
 'weights only (no act quant), all+emb': None}
for k,v in cfgs.items():
    if v is None: c=run(lambda n: not n.endswith('o_proj'), True, act=lambda x:x)
    else: c=run(*v)
    i=int(c.argmin()); print(f'{k:45s} min {c.min():.6f} (text {i}) mean {c.mean():.6f}')
# which text, and its fp32 pooled / dense stats
c=run(lambda n: not n.endswith('o_proj'), True); i=int(c.argmin())
print('outlier text', i, repr(texts[i][:80]))
feats=m.tokenize([texts[i]])
with torch.no_grad():
    out=m[0](dict(feats)); tok=out['token_embeddings'][0]; pooled=m[1](out)['sentence_embedding'][0]
    d1=m[2]({'sentence_embedding':pooled[None]})['sentence_embedding'][0]; d2=m[3]({'sentence_embedding':d1[None]})['sentence_embedding'][0]
print('tokens', tok.shape[0], 'pooled', pooled.numpy().round(4), '|pooled|', float(pooled.norm()), 'mean |token|', float(tok.norm(dim=-1).mean()))
print('dense2 out norm', float(d2.norm()), 'dims', d2.shape)
# per-text: ratio |pooled| / mean|token| vs cosine
rs=[]
for j,t in enumerate(texts):
    f=m.tokenize([t])
    with torch.no_grad():
        o=m[0](dict(f)); tk=o['token_embeddings'][0]; p=tk.mean(0)
        d1=m[2]({'sentence_embedding':p[None]})['sentence_embedding'][0]; d2=m[3]({'sentence_embedding':d1[None]})['sentence_embedding'][0]
    rs.append((float(c[j]), float(p.norm()/tk.norm(dim=-1).mean()), float(d2.norm()), tk.shape[0]))
rs.sort()
print('cos, |mean token|/mean|token|, |dense out|, ntokens (worst 6, best 3):')
for r in rs[:6]+rs[-3:]: print('  %.6f  %.4f  %.5f  %d'%r)
# where the error grows: pooled (Transformer + Pooling) vs after the Dense stack, text 2, our scheme
def pooled_and_final(t, quant):
    hooks=[]
    if quant:
        for n,mod in lin.items():
            if not n.endswith('o_proj'):
                mod.weight.data=qw(orig[n]); hooks.append(mod.register_forward_pre_hook(lambda mod,a:(qa(a[0]),)))
        emb.weight.data=qw(E0)
    f=m.tokenize([t])
    with torch.no_grad():
        o=m[0](dict(f)); p=m[1](o)['sentence_embedding'][0]
        d1=m[2]({'sentence_embedding':p[None]})['sentence_embedding'][0]; d2=m[3]({'sentence_embedding':d1[None]})['sentence_embedding'][0]
    for h in hooks: h.remove()
    for n,mod in lin.items(): mod.weight.data=orig[n].clone()
    emb.weight.data=E0.clone()
    return p,d2
cs=torch.nn.functional.cosine_similarity
W2=m[2].linear.weight.data; W3=m[3].linear.weight.data
print('Dense shapes', tuple(W2.shape), tuple(W3.shape), 'singular values of W3@W2:', torch.linalg.svdvals(W3@W2).numpy().round(3))
for j in [2,0,1,5]:
    p0,f0=pooled_and_final(texts[j],False); p1,f1=pooled_and_final(texts[j],True)
    print(f'text {j}: pooled cos {float(cs(p0,p1,dim=0)):.6f} |dp|/|p| {float((p1-p0).norm()/p0.norm()):.5f}  final cos {float(cs(f0,f1,dim=0)):.6f} |df|/|f| {float((f1-f0).norm()/f0.norm()):.5f} |f|/|p| {float(f0.norm()/p0.norm()):.3f}')
