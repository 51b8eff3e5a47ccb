#!/usr/bin/env python3
"""Make the q8 ONNX peer of a sentence-transformers model for the bench (issue 17): transformers.js running
onnxruntime on int8 weights of the SAME checkpoint that sentence-tfjs quantizes with `dtype: 'q8'`.

  /work/venv/bin/python bench/make_q8_onnx.py [--model ../shared/fixtures/models/minilm-l6-full] [--out DIR]

Steps (provenance; the .onnx files are not committed, this script regenerates them):
 1. load the model with sentence-transformers (float32, eager attention: `model_kwargs={"dtype": torch.float32,
    "attn_implementation": "eager"}` -- the SDPA mask code does not trace correctly --, whatever the
    checkpoint's torch_dtype on disk) and take its Hugging Face encoder (`model[0].auto_model`);
 2. export the encoder with `torch.onnx.export` (TorchScript exporter, opset 17): inputs input_ids,
    attention_mask (and token_type_ids when the model has token types), int64 [batch, sequence]; output
    last_hidden_state [batch, sequence, hidden] (transformers.js' feature-extraction pipeline pools it itself);
    dynamic batch and sequence axes -> DIR/onnx/model.onnx;
 3. `onnxruntime.quantization.quantize_dynamic(model.onnx, model_quantized.onnx, weight_type=QuantType.QInt8,
    per_channel=False, reduce_range=False)` (onnxruntime's defaults for dynamic quantization: int8 weights per
    tensor, uint8 activations quantized at run time; the MatMul/Gather/... operator set onnxruntime picks)
    -> DIR/onnx/model_quantized.onnx, the file transformers.js loads with `dtype: 'q8'`;
 4. copy config.json, tokenizer.json, tokenizer_config.json, special_tokens_map.json (if any) and the
    sentence-transformers files (modules.json, 1_Pooling/...) into DIR, the layout transformers.js reads with
    `env.localModelPath` / `local_files_only`;
 5. check: onnxruntime (fp32 and q8) on the fixture texts (reference/<model>/reference.json; else 4 sentences)
    against PyTorch's last_hidden_state, mean-pooled and
    normalized: print the min cosine of each and write DIR/provenance.json (versions, sha256 of both files,
    the parameters above, the check's numbers).
"""
import argparse
import hashlib
import json
import os
import shutil
import sys

import numpy as np
import onnxruntime as ort
import torch
from onnxruntime.quantization import QuantType, quantize_dynamic
from sentence_transformers import SentenceTransformer

HERE = os.path.dirname(os.path.abspath(__file__))


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(HERE, "..", "..", "shared", "fixtures", "models", "minilm-l6-full"))
    ap.add_argument("--out", default="/tmp/minilm-l6-full-q8-onnx")
    args = ap.parse_args()
    model_dir = os.path.abspath(args.model)
    out = os.path.abspath(args.out)
    os.makedirs(os.path.join(out, "onnx"), exist_ok=True)
    torch.set_num_threads(max(1, os.cpu_count() or 1))

    st = SentenceTransformer(model_dir, device="cpu", model_kwargs={"dtype": torch.float32, "attn_implementation": "eager"})
    encoder = st[0].auto_model.eval()
    uses_token_types = getattr(encoder.config, "type_vocab_size", 0) > 0 and "token_type_ids" in st.tokenizer.model_input_names
    names = ["input_ids", "attention_mask"] + (["token_type_ids"] if uses_token_types else [])

    class Wrapped(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, *xs):
            kw = dict(zip(names, xs))
            return self.m(**kw, return_dict=True).last_hidden_state

    # The PyTorch reference for the check (step 5), computed before the export (tracing leaves the module altered).
    texts = ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium.", "A man is playing guitar in the park while people listen."]
    ref_json = os.path.join(model_dir, "..", "..", "reference", os.path.basename(model_dir), "reference.json")
    if os.path.exists(ref_json):  # the fixture texts, as scripts/q8-accuracy.ts uses for sentence-tfjs' q8
        with open(ref_json) as f:
            texts = json.load(f)["texts"]
    batch = st.tokenizer(texts, padding=True, return_tensors="np")
    feeds = {n: batch[n].astype(np.int64) for n in names}
    with torch.no_grad():
        ref = encoder(**{n: torch.from_numpy(v) for n, v in feeds.items()}).last_hidden_state.numpy()

    sample = st.tokenizer(["a sample sentence for export", "short"], padding=True, return_tensors="pt")
    inputs = tuple(sample[n] for n in names)
    fp32_path = os.path.join(out, "onnx", "model.onnx")
    q8_path = os.path.join(out, "onnx", "model_quantized.onnx")
    dyn = {n: {0: "batch", 1: "sequence"} for n in names}
    dyn["last_hidden_state"] = {0: "batch", 1: "sequence"}
    export_kwargs = dict(input_names=names, output_names=["last_hidden_state"], dynamic_axes=dyn, opset_version=17, do_constant_folding=True)
    try:
        torch.onnx.export(Wrapped(encoder), inputs, fp32_path, dynamo=False, **export_kwargs)
    except TypeError:  # older torch without the dynamo flag
        torch.onnx.export(Wrapped(encoder), inputs, fp32_path, **export_kwargs)
    quant = dict(weight_type="QInt8", per_channel=False, reduce_range=False)
    quantize_dynamic(fp32_path, q8_path, weight_type=QuantType.QInt8, per_channel=False, reduce_range=False)

    for f in ["config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt", "modules.json",
              "sentence_bert_config.json", "config_sentence_transformers.json"]:
        if os.path.exists(os.path.join(model_dir, f)):
            shutil.copy(os.path.join(model_dir, f), os.path.join(out, f))
    for d in os.listdir(model_dir):
        if d.endswith("_Pooling") or d.endswith("_Normalize"):
            shutil.copytree(os.path.join(model_dir, d), os.path.join(out, d), dirs_exist_ok=True)

    def pool(h):
        m = feeds["attention_mask"][..., None].astype(np.float32)
        e = (h * m).sum(1) / m.sum(1)
        return e / np.linalg.norm(e, axis=1, keepdims=True)

    check = {}
    for label, path in [("fp32", fp32_path), ("q8", q8_path)]:
        sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        got = sess.run(["last_hidden_state"], feeds)[0]
        cos = (pool(got) * pool(ref)).sum(1)
        check[label] = {"min_cosine_vs_pytorch": float(cos.min()), "mean_cosine_vs_pytorch": float(cos.mean()), "bytes": os.path.getsize(path), "sha256": sha256(path)}
        print(f"{label}: {path} ({os.path.getsize(path) / 1e6:.1f} MB), cosine vs PyTorch min {cos.min():.6f} mean {cos.mean():.6f}")

    prov = {
        "source_model": model_dir,
        "source_weights_sha256": sha256(os.path.join(model_dir, "model.safetensors")),
        "generator": "bench/make_q8_onnx.py",
        "versions": {"python": sys.version.split()[0], "torch": torch.__version__, "onnxruntime": ort.__version__, "numpy": np.__version__},
        "export": {"exporter": "torch.onnx.export (TorchScript)", "opset": 17, "inputs": names, "output": "last_hidden_state", "dtype": "float32"},
        "quantize_dynamic": quant,
        "check": check,
    }
    with open(os.path.join(out, "provenance.json"), "w") as f:
        json.dump(prov, f, indent=2)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
