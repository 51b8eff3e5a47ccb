"""Writes dtypes.safetensors (every byte pattern of the F8 dtypes, and U16/U32/U64 edge values) with PyTorch, and
expected.json: PyTorch's float32 conversion of each tensor (`t.float()`), NaN written as null, infinities as "inf" / "-inf".
Run: /work/venv/bin/python test/data/safetensors_dtypes/gen_dtypes.py"""
import json, math, os
import torch
from safetensors.torch import save_file

here = os.path.dirname(os.path.abspath(__file__))
bits = torch.arange(256, dtype=torch.uint8)
tensors = {
    "f8_e4m3": bits.clone().view(torch.float8_e4m3fn).reshape(16, 16),
    "f8_e5m2": bits.clone().view(torch.float8_e5m2).reshape(16, 16),
    "u16": torch.tensor([0, 1, 255, 256, 32767, 32768, 65535], dtype=torch.uint16),
    "u32": torch.tensor([0, 1, 65536, 2**31 - 1, 2**31, 2**32 - 1], dtype=torch.uint32),
    "u64": torch.tensor([0, 1, 2**32, 2**53 - 1], dtype=torch.uint64),
}
save_file(tensors, os.path.join(here, "dtypes.safetensors"), metadata={"format": "pt"})
expected = {}
for k, t in tensors.items():
    vals = t.to(torch.float64).float().flatten().tolist() if k.startswith("u") else t.float().flatten().tolist()
    expected[k] = {"shape": list(t.shape), "values": [None if math.isnan(v) else (str(v) if math.isinf(v) else v) for v in vals]}
with open(os.path.join(here, "expected.json"), "w") as f:
    json.dump(expected, f)
print("ok", {k: str(v.dtype) for k, v in tensors.items()})
