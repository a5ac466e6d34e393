"""The bundle's models in transformers against the numbers the browser computed on the same texts.

--browser is a JSON file {"temperature": t, "reward": [{"prompt", "response", "score"}], "policy":
[{"prompt", "response", "logprobs": [...]}], "model": "policy"} written by the app (tests/trl/).
Prints the largest differences and exits 1 when one is over --tolerance (default 1e-4).

    python python/check_parity.py --bundle BUNDLE --browser browser-numbers.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification, AutoTokenizer

from app_layout import prompt_ids, read_settings, response_ids, response_logprobs, scores


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bundle", type=Path, required=True)
    ap.add_argument("--browser", type=Path, required=True)
    ap.add_argument("--tolerance", type=float, default=1e-4)
    args = ap.parse_args()

    ref = json.loads(args.browser.read_text(encoding="utf-8"))
    limit = read_settings(args.bundle)["rloo_config"]["max_completion_length"]
    models = args.bundle / "models"
    tokenizer = AutoTokenizer.from_pretrained(str(models / "sft"))
    rm = AutoModelForSequenceClassification.from_pretrained(str(models / "reward")).eval()
    rows = [prompt_ids(tokenizer, r["prompt"]) + response_ids(tokenizer, r["response"], limit) for r in ref["reward"]]
    hf_scores = scores(rm, rows)
    score_diff = max(abs(a - r["score"]) for a, r in zip(hf_scores, ref["reward"]))

    policy = AutoModelForCausalLM.from_pretrained(str(models / ref.get("model", "policy"))).eval()
    logprob_diff = 0.0
    tokens = 0
    for r in ref["policy"]:
        hf = response_logprobs(policy, prompt_ids(tokenizer, r["prompt"]), response_ids(tokenizer, r["response"], limit), ref.get("temperature", 1.0))
        if len(hf) != len(r["logprobs"]):
            sys.exit(f"token count differs for {r['response']!r}: transformers {len(hf)}, browser {len(r['logprobs'])}")
        logprob_diff = max(logprob_diff, *(abs(a - b) for a, b in zip(hf, r["logprobs"])))
        tokens += len(hf)
    result = {
        "reward_texts": len(rows),
        "reward_max_abs_diff": score_diff,
        "policy_tokens": tokens,
        "logprob_max_abs_diff": logprob_diff,
        "tolerance": args.tolerance,
    }
    print(json.dumps(result))
    if score_diff > args.tolerance or logprob_diff > args.tolerance:
        sys.exit(f"over the tolerance {args.tolerance}: reward {score_diff:.3g}, log-prob {logprob_diff:.3g}")


if __name__ == "__main__":
    main()
