"""Records transformers' get_scheduler multipliers and torch.optim.AdamW trajectories (two parameter groups, a
parameter without a gradient, lr 0 at step 0 from the warmup) for test/training_optim_python.test.ts.
Run: /work/venv/bin/python test/data/training/gen_optim.py  (transformers 5.18, torch 2.13 CPU)."""
import json, os
import torch
import transformers
from transformers import get_scheduler

out = {"transformers": transformers.__version__, "torch": torch.__version__, "schedules": {}}
dummy = torch.nn.Parameter(torch.zeros(1))
for name, kwargs in [("linear", {}), ("cosine", {}), ("cosine_with_restarts", {"num_cycles": 2}), ("constant", {}),
                     ("constant_with_warmup", {}), ("polynomial", {"power": 2.0, "lr_end": 1e-4}), ("inverse_sqrt", {})]:
    opt = torch.optim.SGD([dummy], lr=0.1)
    sch = get_scheduler(name, opt, num_warmup_steps=3, num_training_steps=12, scheduler_specific_kwargs=kwargs)
    lrs = []
    for _ in range(14):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sch.step()
    out["schedules"][name] = {"kwargs": kwargs, "lrs": lrs}

g = torch.Generator().manual_seed(0)
w = torch.nn.Parameter(torch.randn(3, 4, generator=g))
b = torch.nn.Parameter(torch.randn(4, generator=g))
unused = torch.nn.Parameter(torch.randn(2, generator=g))
init = {"w": w.detach().tolist(), "b": b.detach().tolist(), "unused": unused.detach().tolist()}
opt = torch.optim.AdamW([{"params": [w, unused], "weight_decay": 0.01}, {"params": [b], "weight_decay": 0.0}], lr=0.01)
sch = transformers.get_linear_schedule_with_warmup(opt, 1, 5)
grads, lrs, after = [], [], []
for step in range(5):
    gw = torch.randn(3, 4, generator=g)
    gb = torch.randn(4, generator=g)
    w.grad, b.grad = gw, gb
    lrs.append(opt.param_groups[0]["lr"])
    opt.step()
    sch.step()
    opt.zero_grad(set_to_none=True)
    grads.append({"w": gw.tolist(), "b": gb.tolist()})
    after.append({"w": w.detach().tolist(), "b": b.detach().tolist(), "unused": unused.detach().tolist()})
out["adamw"] = {"init": init, "grads": grads, "lrs": lrs, "after": after, "weight_decay": 0.01, "lr": 0.01}
with open(os.path.join(os.path.dirname(__file__), "optim.json"), "w") as f:
    json.dump(out, f)
print("wrote optim.json")
