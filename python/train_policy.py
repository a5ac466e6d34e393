"""Train the policy with TRL's RLOOTrainer against the bundle's reward model.

TRL 1.13 has no PPO trainer; RLOO is its online trainer closest to InstructGPT's PPO: the same
clipped surrogate (epsilon) and the same k1 KL penalty in the reward (beta, the run's β), with a
leave-one-out baseline over num_generations samples per prompt instead of a value model with GAE,
and no ptx term (trl_settings.json lists what has no equivalent). The policy and the KL reference
start from models/sft; the reward is models/reward (the browser-trained RM, or --reward for one
trained with train_reward.py), read on the app's layout [BOS prompt response EOS]. The result is a
GPT-2 folder the app imports ("Start a run from an imported model").

    python python/train_policy.py --bundle BUNDLE --out policy-trl [--set max_steps=4 ...]
    accelerate launch --config_file python/accelerate_multi_gpu.yaml python/train_policy.py --bundle BUNDLE --out policy-trl
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from accelerate import PartialState
from datasets import load_dataset
from transformers import AutoModelForSequenceClassification, AutoTokenizer
from trl import RLOOConfig, RLOOTrainer

from app_layout import BANNED, overrides, precision, prompt_ids, read_settings, right_padded, until_eos


class AppLayoutReward:
    """The reward model read as the app reads it: [BOS] prompt, the completion as generated (EOS if it stopped).

    TRL's built-in reward-model path re-tokenizes decoded text without BOS and EOS, which is not the
    layout the app's reward model was trained on.
    """

    __name__ = "reward_model"

    def __init__(self, path: str, tokenizer) -> None:
        self.tokenizer = tokenizer
        self.model = AutoModelForSequenceClassification.from_pretrained(path).to(PartialState().device).eval()

    @torch.no_grad()
    def __call__(self, prompts, completions, completion_ids, **_) -> list[float]:
        rows = [prompt_ids(self.tokenizer, p) + until_eos(c) for p, c in zip(prompts, completion_ids)]
        ids, mask = right_padded(rows, self.model.device)
        return self.model(input_ids=ids, attention_mask=mask).logits[:, 0].float().tolist()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bundle", type=Path, required=True, help="the unzipped bundle")
    ap.add_argument("--out", type=Path, required=True, help="where the trained policy goes (a GPT-2 folder)")
    ap.add_argument("--reward", type=Path, help="a reward model folder (default: the bundle's models/reward)")
    ap.add_argument("--prompts", default="data/prompts_train.jsonl", help="prompt-only rows, relative to the bundle")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="an RLOOConfig argument over the bundle's")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    settings = read_settings(args.bundle)
    config = RLOOConfig(
        output_dir=str(args.out),
        **{**settings["rloo_config"], **precision(), **overrides(args.set)},
        # the app never samples PAD or BOS (src/model/generate.ts BANNED)
        generation_kwargs={"bad_words_ids": [[i] for i in BANNED]},
        seed=args.seed,
        report_to="none",
        save_strategy="no",
        logging_steps=1,
    )
    sft = str(args.bundle / "models" / "sft")
    tokenizer = AutoTokenizer.from_pretrained(sft)
    prompts = load_dataset("json", data_files=str(args.bundle / args.prompts), split="train")
    reward = AppLayoutReward(str(args.reward or args.bundle / "models" / "reward"), tokenizer)
    trainer = RLOOTrainer(model=sft, reward_funcs=[reward], args=config, train_dataset=prompts, processing_class=tokenizer)
    trainer.train()
    trainer.save_model(str(args.out))
    tokenizer.save_pretrained(str(args.out))


if __name__ == "__main__":
    main()
