"""Records sentence-transformers 6.0.1 loss values and gradients w.r.t. the input embeddings (test/data/losses/losses.json).

Run: /work/venv/bin/python test/data/losses/gen_losses.py
Each case: fixed random float32 embeddings (one [batch, dim] matrix per text column), labels, the loss's
`compute_loss_from_embeddings` (or forward on the logits for CrossEncoder losses) in float32 on CPU, then
`torch.autograd.grad` of the loss w.r.t. every embedding matrix (and SoftmaxLoss's classifier).
"""
import json, os
import numpy as np
import torch
import torch.nn.functional as F
import sentence_transformers
from sentence_transformers import util
from sentence_transformers.sentence_transformer import losses as L
from sentence_transformers.sentence_transformer.losses.contrastive import SiameseDistanceMetric
from sentence_transformers.sentence_transformer.losses.triplet import TripletDistanceMetric
from sentence_transformers.sentence_transformer.losses.batch_hard_triplet import BatchHardTripletLossDistanceFunction as BHD
from sentence_transformers.cross_encoder import losses as CEL

torch.manual_seed(0)
rng = np.random.default_rng(7)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "losses.json")


class FakeModel(torch.nn.Module):
    """Only what the loss constructors touch."""
    device = torch.device("cpu")

    def get_embedding_dimension(self):
        return 16


model = FakeModel()


def emb(b, d=16, cols=2, scale=1.0):
    return [torch.tensor((rng.standard_normal((b, d)) * scale).astype(np.float32), requires_grad=True) for _ in range(cols)]


def L2(t):
    """float32 values written with numpy's shortest float32 digits (they read back to the same float32)."""
    a = t.detach().numpy()
    if a.dtype == np.float32:
        return np.array([float(str(x)) for x in a.ravel()]).reshape(a.shape).tolist()
    return a.astype(np.float64).tolist()


cases = []


def record(name, loss_name, config, embs, labels, fn, extra_params=(), label_vectors=None, tag=""):
    value = fn(embs, labels)
    params = list(embs) + [p for _, p in extra_params]
    grads = torch.autograd.grad(value, params, allow_unused=True)
    grads = [torch.zeros_like(p) if g is None else g for p, g in zip(params, grads)]
    # float64 twin (diagnostic: the exact value the float32 results approximate); not for losses with their own
    # float32 parameters (SoftmaxLoss's classifier, BCE's pos_weight)
    grads64 = None
    value64 = None
    if not extra_params and not name.startswith(("BinaryCrossEntropyLoss", "CrossEntropyLoss", "CrossEncoderMSELoss")):
        e64 = [e.detach().double().requires_grad_(True) for e in embs]
        v64 = fn(e64, None if labels is None else labels.double())
        grads64 = [L2(g) for g in torch.autograd.grad(v64, e64, allow_unused=True)]
        value64 = float(v64.item())
    cases.append({
        "name": name + (f" {tag}" if tag else ""), "loss": loss_name, "config": config,
        "embeddings": [L2(e) for e in embs],
        "labels": None if labels is None else labels.detach().numpy().astype(np.float64).tolist(),
        "label_vectors": None if label_vectors is None else L2(label_vectors),
        "params": {k: L2(p) for k, p in extra_params},
        "value": float(value.item()),
        "grads": [L2(g) for g in grads[:len(embs)]],
        "param_grads": {k: L2(g) for (k, _), g in zip(extra_params, grads[len(embs):])},
        "float64_value": value64,
        "float64_grads": grads64,
    })


B = 8
sim_labels = torch.tensor(rng.uniform(0, 1, B).astype(np.float32))
bin_labels = torch.tensor([1, 0, 1, 1, 0, 0, 1, 0], dtype=torch.float32)

# AnglELoss (CoSENT with the angle similarity): pairs with labels; three columns without labels
for scale in [20.0, 5.0]:
    loss = L.AnglELoss(model, scale=scale)
    record("AnglELoss", "AnglELoss", {"scale": scale}, emb(B), sim_labels, loss.compute_loss_from_embeddings, tag=f"scale {scale}")
loss = L.AnglELoss(model)
record("AnglELoss", "AnglELoss", {"scale": 20.0}, emb(B, cols=3), None, loss.compute_loss_from_embeddings, tag="triplets")
record("AnglELoss", "AnglELoss", {"scale": 20.0}, emb(B, d=15), sim_labels, loss.compute_loss_from_embeddings, tag="odd dim")

# ContrastiveLoss / OnlineContrastiveLoss
for metric in ["COSINE_DISTANCE", "EUCLIDEAN", "MANHATTAN"]:
    for margin, size_average in [(0.5, True), (3.0, False)]:
        m = margin if metric == "COSINE_DISTANCE" else margin * 8
        loss = L.ContrastiveLoss(model, distance_metric=getattr(SiameseDistanceMetric, metric), margin=m, size_average=size_average)
        record("ContrastiveLoss", "ContrastiveLoss", {"distance_metric": metric, "margin": m, "size_average": size_average}, emb(B), bin_labels, loss.compute_loss_from_embeddings, tag=f"{metric} {m} {size_average}")
    loss = L.OnlineContrastiveLoss(model, distance_metric=getattr(SiameseDistanceMetric, metric), margin=0.5 if metric == "COSINE_DISTANCE" else 6.0)
    record("OnlineContrastiveLoss", "OnlineContrastiveLoss", {"distance_metric": metric, "margin": loss.margin}, emb(B), bin_labels, loss.compute_loss_from_embeddings, tag=metric)
loss = L.OnlineContrastiveLoss(model, margin=0.9)
record("OnlineContrastiveLoss", "OnlineContrastiveLoss", {"distance_metric": "COSINE_DISTANCE", "margin": 0.9}, emb(B), torch.tensor([1, 0, 0, 0, 0, 0, 0, 0], dtype=torch.float32), loss.compute_loss_from_embeddings, tag="one positive")

# TripletLoss
for metric, margin in [("EUCLIDEAN", 5.0), ("COSINE", 0.3), ("MANHATTAN", 12.0)]:
    loss = L.TripletLoss(model, distance_metric=getattr(TripletDistanceMetric, metric), triplet_margin=margin)
    record("TripletLoss", "TripletLoss", {"distance_metric": metric, "triplet_margin": margin}, emb(B, cols=3), None, loss.compute_loss_from_embeddings, tag=metric)

# Batch triplet losses: one column, class labels
cls_labels = torch.tensor([0, 1, 0, 2, 1, 2, 0, 3, 1, 2], dtype=torch.float32)
for cls, tname in [(L.BatchHardTripletLoss, "BatchHardTripletLoss"), (L.BatchAllTripletLoss, "BatchAllTripletLoss"), (L.BatchSemiHardTripletLoss, "BatchSemiHardTripletLoss")]:
    for dist, margin in [("euclidean_distance", 5.0), ("cosine_distance", 0.5)]:
        loss = cls(model, distance_metric=getattr(BHD, dist), margin=margin)
        record(tname, tname, {"distance_metric": dist, "margin": margin}, emb(10, cols=1), cls_labels, loss.compute_loss_from_embeddings, tag=dist)

# MSELoss (distillation): teacher vectors as labels, [batch, dim] and [batch, columns, dim]
loss = L.MSELoss(model)
teacher = torch.tensor(rng.standard_normal((B, 16)).astype(np.float32))
record("MSELoss", "MSELoss", {}, emb(B, cols=1), None, lambda e, _l: loss.compute_loss_from_embeddings(e, [teacher for _ in e]), label_vectors=teacher, tag="one column")
teacher3 = torch.tensor(rng.standard_normal((B, 2, 16)).astype(np.float32))
record("MSELoss", "MSELoss", {}, emb(B, cols=2), None, lambda e, _l: loss.compute_loss_from_embeddings(e, [teacher3[:, i] for i in range(2)]), label_vectors=teacher3, tag="two columns 3-D")
record("MSELoss", "MSELoss", {}, emb(B, cols=2), None, lambda e, _l: loss.compute_loss_from_embeddings(e, [teacher for _ in e]), label_vectors=teacher, tag="two columns broadcast")

ploss = L.MSELoss(model, projection_dim=12)
teacher12 = torch.tensor(rng.standard_normal((B, 12)).astype(np.float32))
record("MSELoss", "MSELoss", {"projection_dim": 12}, emb(B, cols=2), None, lambda e, _l: ploss.compute_loss_from_embeddings(e, [teacher12 for _ in e]),
       extra_params=[("projection.weight", ploss.projection.weight), ("projection.bias", ploss.projection.bias)], label_vectors=teacher12, tag="projection 12")

# SoftmaxLoss: the classifier's weights are recorded and fed to the TS loss
nli_labels = torch.tensor([0, 1, 2, 2, 1, 0, 0, 2], dtype=torch.float32)
for rep, diff, mult in [(True, True, False), (True, True, True), (False, False, True)]:
    loss = L.SoftmaxLoss(model, embedding_dimension=16, num_labels=3, concatenation_sent_rep=rep, concatenation_sent_difference=diff, concatenation_sent_multiplication=mult)

    def fn(e, lab, loss=loss):
        rep_a, rep_b = e
        v = []
        if loss.concatenation_sent_rep:
            v += [rep_a, rep_b]
        if loss.concatenation_sent_difference:
            v.append(torch.abs(rep_a - rep_b))
        if loss.concatenation_sent_multiplication:
            v.append(rep_a * rep_b)
        return loss.loss_fct(loss.classifier(torch.cat(v, 1)), lab.long().view(-1))  # SoftmaxLoss.forward after embedding
    record("SoftmaxLoss", "SoftmaxLoss", {"num_labels": 3, "concatenation_sent_rep": rep, "concatenation_sent_difference": diff, "concatenation_sent_multiplication": mult},
           emb(B), nli_labels, fn, extra_params=[("classifier.weight", loss.classifier.weight), ("classifier.bias", loss.classifier.bias)], tag=f"{rep} {diff} {mult}")

# MultipleNegativesSymmetricRankingLoss (6.0.1: MNRL with query_to_doc + doc_to_query, per_direction)
import warnings
warnings.simplefilter("ignore")
for sim, scale, cols in [("cos_sim", 20.0, 2), ("dot_score", 1.0, 2), ("cos_sim", 20.0, 3)]:
    loss = L.MultipleNegativesSymmetricRankingLoss(model, scale=scale, similarity_fct=getattr(util, sim))
    record("MultipleNegativesSymmetricRankingLoss", "MultipleNegativesSymmetricRankingLoss", {"scale": scale, "similarity_fct": sim}, emb(B, cols=cols, scale=0.5 if sim == "dot_score" else 1.0), None, loss.compute_loss_from_embeddings, tag=f"{sim} {scale} {cols} columns")


# CrossEncoder losses: the part of forward after the model (logits -> activation -> loss)
class FakeCE(torch.nn.Module):
    num_labels = 1
    device = torch.device("cpu")


from sentence_transformers.cross_encoder import CrossEncoder
CEL_mod = __import__("sentence_transformers.cross_encoder.losses.binary_cross_entropy", fromlist=["x"])
ce_logits = lambda n, k: [torch.tensor((rng.standard_normal((n, k)) * 2).astype(np.float32), requires_grad=True)]
for pw in [None, 2.5]:
    bce = torch.nn.BCEWithLogitsLoss(pos_weight=None if pw is None else torch.tensor(pw))
    record("BinaryCrossEntropyLoss", "BinaryCrossEntropyLoss", {"pos_weight": pw}, ce_logits(B, 1), torch.tensor([1, 0, 1, 1, 0, 0.3, 0.8, 0], dtype=torch.float32),
           lambda e, lab, bce=bce: bce(torch.nn.Identity()(e[0].view(-1)), lab.float()), tag=f"pos_weight {pw}")
ce = torch.nn.CrossEntropyLoss()
record("CrossEntropyLoss", "CrossEntropyLoss", {}, ce_logits(B, 3), torch.tensor([0, 2, 1, 1, 0, 2, 2, 1], dtype=torch.float32), lambda e, lab: ce(e[0], lab.long()))
mse = torch.nn.MSELoss()
record("CrossEncoderMSELoss", "MSELoss", {}, ce_logits(B, 1), torch.tensor(rng.uniform(0, 1, B).astype(np.float32)), lambda e, lab: mse(e[0].view(-1), lab.float()))

# get_config_dict of each loss, as Python writes it to the model card
configs = {
    "AnglELoss": L.AnglELoss(model).get_config_dict(),
    "ContrastiveLoss": L.ContrastiveLoss(model).get_config_dict(),
    "OnlineContrastiveLoss": L.OnlineContrastiveLoss(model).get_config_dict(),
    "TripletLoss": L.TripletLoss(model).get_config_dict(),
    "BatchHardTripletLoss": L.BatchHardTripletLoss(model).get_config_dict(),
    "BatchAllTripletLoss": L.BatchAllTripletLoss(model).get_config_dict(),
    "BatchSemiHardTripletLoss": L.BatchSemiHardTripletLoss(model).get_config_dict(),
    "MSELoss": L.MSELoss(model).get_config_dict(),
    "SoftmaxLoss": L.SoftmaxLoss(model, embedding_dimension=16, num_labels=3).get_config_dict(),
    "MultipleNegativesSymmetricRankingLoss": L.MultipleNegativesSymmetricRankingLoss(model).get_config_dict(),
}
configs = json.loads(json.dumps(configs, default=list))
with open(OUT, "w") as f:
    json.dump({"generator": "test/data/losses/gen_losses.py", "sentence_transformers": sentence_transformers.__version__, "torch": torch.__version__,
               "cases": cases, "config_dicts": configs}, f)
print("wrote", OUT, os.path.getsize(OUT), len(cases), "cases")
print(json.dumps(configs, indent=1))
