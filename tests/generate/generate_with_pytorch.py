#!/usr/bin/env python3
"""An independent check of `paramoe generate`: h5py for the file, PyTorch for the model.

  generate_with_pytorch.py CHECKPOINT PROMPT_IDS GENERATED_IDS LOGITS [--greedy]

Reads the parameters and the config from the checkpoint with h5py, runs the float64
PyTorch reference of the GPT-MoE model (tests/golden/make_model_fixtures.py: full
causal attention over the whole sequence, no KV cache, every expert evaluated
densely) on the prompt followed by paramoe's tokens, and checks at each position
that the logit paramoe reported for its token is the reference's, and with
--greedy that the token is the reference's argmax. Lists are space-separated.

paramoe computes in fp32 and the reference in float64 from the same fp32 weights.
Logits here are O(1-10) after sums over d_model = 64 terms and 4 blocks; measured
agreement is ~1e-6 absolute, so LOGIT_TOL = 1e-4 leaves margin, while a real error
(a wrong cache position, a wrong expert) moves logits by O(0.1). Two logits closer
than that may swap order, so a greedy token other than the reference's argmax is
accepted only where its logit is within TIE = 1e-3 of the maximum.
"""
import pathlib
import sys
import tomllib

import h5py
import numpy as np
import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "golden"))
from make_model_fixtures import model_forward  # noqa: E402

TIE, LOGIT_TOL = 1e-3, 1e-4


def main():
    path, prompt, generated, reported = sys.argv[1:5]
    greedy = "--greedy" in sys.argv[5:]
    prompt, generated = [int(t) for t in prompt.split()], [int(t) for t in generated.split()]
    reported = [float(v) for v in reported.split()]
    assert len(reported) == len(generated), "one logit per generated token"
    with h5py.File(path, "r") as f:
        cfg = tomllib.loads(f.attrs["config"].decode())
        p = {}
        f["params"].visititems(lambda name, obj: p.__setitem__(
            name, torch.from_numpy(obj[...].astype(np.float64))) if isinstance(obj, h5py.Dataset)
            else None)
        if "balance" in f:
            sys.exit("the reference has no selection bias (moe.balance = \"bias\")")
    model, moe, train = cfg["model"], cfg["moe"], cfg["train"]
    if moe.get("activation", "gelu") != "gelu" or moe.get("shared_experts", 0) != 0 \
            or not moe.get("renormalize", True):
        sys.exit("the reference covers gelu experts, renormalized top-k and no shared experts")
    D = moe["d_model"]
    c = dict(V=model["vocab_size"], D=D, heads=model["heads"], layers=train["layers"],
             moe_every=model.get("moe_every", 2), E=moe["num_experts"], k=moe["top_k"],
             aux=0.0, z=0.0)
    seq = prompt + generated
    worst_gap, exact, worst_logit = 0.0, 0, 0.0
    with torch.no_grad():
        for i, token in enumerate(generated):
            context = torch.tensor([seq[:len(prompt) + i]])
            logits, _ = model_forward(p, context, None, True, c, check_margin=False)
            last = logits[0, -1]
            err = abs(reported[i] - float(last[token]))
            if err > LOGIT_TOL:
                sys.exit(f"position {len(prompt) + i}: paramoe's logit of token {token} is "
                         f"{reported[i]:.7g}, the reference's {float(last[token]):.7g}")
            worst_logit = max(worst_logit, err)
            best = int(torch.argmax(last))
            gap = float(last[best] - last[token])
            if greedy and gap > TIE:
                sys.exit(f"position {len(prompt) + i}: paramoe chose {token} "
                         f"(logit {float(last[token]):.6f}), the reference {best} "
                         f"(logit {float(last[best]):.6f})")
            exact += token == best
            worst_gap = max(worst_gap, gap)
    print(f"{len(generated)} tokens: logits within {worst_logit:.1e} of the PyTorch reference's"
          + (f"; {exact} exactly its argmax, the rest within {worst_gap:.1e} of it" if greedy
             else ""))


if __name__ == "__main__":
    main()
