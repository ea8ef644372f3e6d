"""Capture the inputs of every MoE block of a Hugging Face model, for
`frugal mole convert --calibration` and `frugal mole report --calibration`.

    python3 scripts/capture_moe_inputs.py MODEL_DIR acts.safetensors [--texts texts.txt] [--tokens 2048]

Needs torch, transformers and safetensors (pip install torch transformers safetensors). Runs the model
on the texts (one per line; a few built-in sentences when none are given), one text at a time so no
padding token is captured, and records with a forward pre-hook the hidden states entering each MoE
block (Mixtral's `block_sparse_moe`, the `mlp` of Qwen2/Qwen3-MoE and DeepSeek layers that have
`experts`). Writes one float32 tensor per MoE layer, `layers.{L}.moe_input` of shape [tokens, hidden],
and the model path and token count in the file's metadata.
"""
import argparse

import torch
from safetensors.torch import save_file
from transformers import AutoModelForCausalLM, AutoTokenizer

DEFAULT_TEXTS = [
    "The quick brown fox jumps over the lazy dog.",
    "In mathematics, a matrix decomposition factorizes a matrix into a product of matrices.",
    "def fibonacci(n):\n    return n if n < 2 else fibonacci(n - 1) + fibonacci(n - 2)",
    "Mixture-of-experts models route every token to a few of many feed-forward experts.",
]


def moe_block(layer):
    if hasattr(layer, "block_sparse_moe"):
        return layer.block_sparse_moe
    mlp = getattr(layer, "mlp", None)
    return mlp if mlp is not None and hasattr(mlp, "experts") else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model")
    ap.add_argument("out")
    ap.add_argument("--texts", help="a text file, one sample per line")
    ap.add_argument("--tokens", type=int, default=2048, help="tokens to keep per layer")
    ap.add_argument("--max-length", type=int, default=512)
    a = ap.parse_args()
    texts = DEFAULT_TEXTS
    if a.texts:
        with open(a.texts, encoding="utf8") as f:
            texts = [line.strip() for line in f if line.strip()]
    tok = AutoTokenizer.from_pretrained(a.model)
    model = AutoModelForCausalLM.from_pretrained(a.model, torch_dtype="auto", device_map="auto")
    model.eval()
    captured = {}
    hooks = []
    for i, layer in enumerate(model.model.layers):
        block = moe_block(layer)
        if block is None:
            continue
        captured[i] = []

        def hook(module, args, kwargs, i=i):
            x = args[0] if args else kwargs["hidden_states"]
            if sum(t.shape[0] for t in captured[i]) < a.tokens:
                captured[i].append(x.detach().reshape(-1, x.shape[-1]).float().cpu())

        hooks.append(block.register_forward_pre_hook(hook, with_kwargs=True))
    with torch.no_grad():
        for text in texts:
            ids = tok(text, return_tensors="pt", truncation=True, max_length=a.max_length).to(model.device)
            model(**ids)
            if all(sum(t.shape[0] for t in v) >= a.tokens for v in captured.values()):
                break
    for h in hooks:
        h.remove()
    tensors = {f"layers.{i}.moe_input": torch.cat(v)[: a.tokens].contiguous() for i, v in captured.items() if v}
    n = min(t.shape[0] for t in tensors.values())
    save_file(tensors, a.out, metadata={"model": a.model, "tokens": str(n)})
    print(f"wrote {a.out}: {len(tensors)} MoE layers, {n} tokens each")


if __name__ == "__main__":
    main()
