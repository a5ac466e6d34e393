"""The app's token layout in Python, shared by the scripts.

The app scores and trains on [BOS] prompt response [EOS] (src/rlhf/sequences.ts), one character a
token. The exported tokenizer writes BOS first (tokenizer_config.json: add_bos_token), so
`tokenizer(prompt + response + "<eos>")` is that layout, and so are TRL's own inputs; the helpers
here build it from ids where TRL hands over ids (generated completions).
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

PAD, BOS, EOS = 0, 1, 2
# Sampling never draws these (src/model/generate.ts BANNED): the app's log-probs are over the rest.
BANNED = (PAD, BOS)
BANNED_LOGIT = -1e4


def read_settings(bundle: Path) -> dict:
    """trl_settings.json of a "Continue in TRL" bundle."""
    return json.loads((bundle / "trl_settings.json").read_text(encoding="utf-8"))


def prompt_ids(tokenizer, prompt) -> list[int]:
    """[BOS] + the prompt's characters; a conversational prompt through the chat template."""
    if isinstance(prompt, list):
        return list(tokenizer.apply_chat_template(prompt, add_generation_prompt=True, tokenize=True, return_dict=True)["input_ids"])
    ids = tokenizer(prompt)["input_ids"]
    return ids if ids[:1] == [BOS] else [BOS, *ids]


def response_ids(tokenizer, response: str, limit: int | None = None) -> list[int]:
    """The response's characters and EOS, cut to the task's response length as the app cuts them.

    A sampled response that ran out of room has no EOS in the app (sequences.ts buildSequences):
    `limit` is the bundle's max_completion_length.
    """
    return [*tokenizer(response, add_special_tokens=False)["input_ids"], EOS][:limit]


def until_eos(ids) -> list[int]:
    """Generated ids up to and including the first EOS, without padding (the app's response)."""
    out = []
    for i in (ids.tolist() if hasattr(ids, "tolist") else ids):
        if i == PAD:
            break
        out.append(int(i))
        if i == EOS:
            break
    return out


def right_padded(rows: list[list[int]], device=None) -> tuple[torch.Tensor, torch.Tensor]:
    """input_ids and attention_mask, right-padded with PAD (HF's GPT-2 scores the last non-pad token)."""
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), PAD, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for n, r in enumerate(rows):
        ids[n, : len(r)] = torch.tensor(r)
        mask[n, : len(r)] = 1
    return ids.to(device), mask.to(device)


@torch.no_grad()
def scores(model, rows: list[list[int]], batch: int = 64) -> list[float]:
    """A reward (or value) model's score of each id row, read at its last token, as the app reads it."""
    out: list[float] = []
    device = next(model.parameters()).device
    for i in range(0, len(rows), batch):
        ids, mask = right_padded(rows[i : i + batch], device)
        out += model(input_ids=ids, attention_mask=mask).logits[:, 0].float().tolist()
    return out


@torch.no_grad()
def response_logprobs(model, prompt: list[int], response: list[int], temperature: float = 1.0) -> list[float]:
    """log π(token) of each response token given what precedes it, over the ids sampling can draw (as the app's PPO)."""
    ids = torch.tensor([prompt + response], device=next(model.parameters()).device)
    logits = model(input_ids=ids).logits[0, len(prompt) - 1 : -1].float() / temperature
    logits[:, list(BANNED)] += BANNED_LOGIT
    logp = torch.log_softmax(logits, dim=-1)
    return logp.gather(1, torch.tensor(response, device=logp.device)[:, None])[:, 0].tolist()


def pair_accuracy(model, tokenizer, pairs: list[dict], limit: int | None = None) -> float:
    """How often the model scores chosen above rejected (ties count half), on {"prompt", "chosen", "rejected"} rows."""
    chosen = [prompt_ids(tokenizer, p["prompt"]) + response_ids(tokenizer, p["chosen"], limit) for p in pairs]
    rejected = [prompt_ids(tokenizer, p["prompt"]) + response_ids(tokenizer, p["rejected"], limit) for p in pairs]
    c, r = scores(model, chosen), scores(model, rejected)
    return sum(1.0 if a > b else 0.5 if a == b else 0.0 for a, b in zip(c, r)) / len(pairs)


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def overrides(pairs: list[str]) -> dict:
    """`--set key=value` pairs as config keyword arguments (values read as JSON, else kept as text)."""
    out = {}
    for item in pairs:
        key, _, raw = item.partition("=")
        try:
            out[key] = json.loads(raw)
        except json.JSONDecodeError:
            out[key] = raw
    return out


def precision() -> dict:
    """TRL's configs default to bf16, which transformers refuses without a GPU: full precision on CPU."""
    return {} if torch.cuda.is_available() else {"bf16": False}
