"""PyTorch sentence-transformers as a runtime of `npm run bench` (the same protocol as bench-child.ts).

    <python> bench/bench_torch.py <config.json>

config: {"kind", "modelDir", "maxSeqLength", "sparse", "threads"}. Loads the model in float32 (a float16 checkpoint
such as minilm-l6-full would otherwise be computed in half precision by transformers 5), sets
torch.set_num_threads(threads) and one inter-op thread, says `ready` on fd 3, then serves JSON-line commands from
stdin: `run` encodes each batch with `encode(batch, batch_size=len(batch))` (sentence-transformers sorts inside the
batch, as sentence-tfjs does) and replies with the latency of each batch, writing the embeddings (sparse ones as
dense rows) in bench-common.ts' format when asked; `exit` replies with the peak RSS.
"""

import json
import os
import resource
import sys
import time

import numpy as np


def reply(obj):
    os.write(3, (json.dumps(obj) + "\n").encode())


def peak_rss_mb():
    # VmHWM: this process's own high-water mark (ru_maxrss also counts the parent's RSS at spawn on Linux)
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def write_embeddings(path, indices, rows):
    rows = np.ascontiguousarray(rows, dtype=np.float32)
    n = len(indices)
    dim = rows.shape[1] if n else 0
    with open(path, "wb") as f:
        f.write(np.array([n, dim] + list(indices), dtype=np.int32).tobytes())
        f.write(rows.tobytes())


def main():
    cfg = json.load(open(sys.argv[1]))
    t0 = time.perf_counter()
    import torch
    import sentence_transformers
    from sentence_transformers import SentenceTransformer, SparseEncoder

    torch.set_num_threads(int(cfg["threads"]))
    torch.set_num_interop_threads(1)
    cls = SparseEncoder if cfg["sparse"] else SentenceTransformer
    model = cls(cfg["modelDir"], device="cpu", model_kwargs={"dtype": torch.float32})
    model.eval()
    dtypes = sorted({str(p.dtype) for p in model.parameters()})
    load_ms = (time.perf_counter() - t0) * 1000
    backend = f"torch {torch.__version__} cpu, {torch.get_num_threads()} thread(s), sentence-transformers {sentence_transformers.__version__}, {'/'.join(dtypes)}"
    notes = [] if dtypes == ["torch.float32"] else [f"parameters in {dtypes}, expected float32"]
    reply({"type": "ready", "loadMs": load_ms, "backend": backend, "notes": notes})

    def encode(texts):
        if cfg["sparse"]:
            out = model.encode(texts, batch_size=len(texts), convert_to_tensor=True)
            return out.to_dense().float().cpu().numpy()
        return model.encode(texts, batch_size=len(texts), normalize_embeddings=True, convert_to_numpy=True)

    for line in sys.stdin:
        if not line.strip():
            continue
        cmd = json.loads(line)
        if cmd["type"] == "exit":
            break
        if cmd["type"] != "run":
            reply({"type": "error", "message": f"bench_torch.py: command {cmd['type']!r} not supported"})
            continue
        try:
            lat, outs = [], []
            start = time.perf_counter()
            for b in cmd["batches"]:
                s = time.perf_counter()
                outs.append(encode(b["texts"]))
                lat.append((time.perf_counter() - s) * 1000)
            total = (time.perf_counter() - start) * 1000
            if cmd.get("embPath"):
                idx = [i for b in cmd["batches"] for i in b["indices"]]
                write_embeddings(cmd["embPath"], idx, np.concatenate(outs, axis=0))
            reply({"type": "ran", "totalMs": total, "latMs": lat})
        except Exception as e:  # reported to the parent, which marks the runtime failed
            reply({"type": "error", "message": f"{type(e).__name__}: {e}"})
    reply({"type": "bye", "peakRssMB": peak_rss_mb()})


if __name__ == "__main__":
    main()
