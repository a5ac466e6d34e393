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

from pathlib import Path

import torch
from accelerate import PartialState
from transformers import AutoModelForSequenceClassification
from trl import RLOOConfig, RLOOTrainer

from app_layout import BANNED, prompt_ids, right_padded, until_eos
from train_common import parse_args, save, sft_start, trainer_config


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


def inputs(ap) -> None:
    ap.add_argument("--reward", type=Path, help="a reward model folder (default: the bundle's models/reward)")
    ap.add_argument("--prompts", default="data/prompts_train.jsonl", help="prompt-only rows, relative to the bundle")


def main() -> None:
    args = parse_args(__doc__, "policy", "an RLOOConfig", inputs)
    _, config = trainer_config(
        RLOOConfig,
        args,
        "rloo_config",
        logging_steps=1,
        # the app never samples PAD or BOS (src/model/generate.ts BANNED)
        generation_kwargs={"bad_words_ids": [[i] for i in BANNED]},
    )
    sft, tokenizer, prompts = sft_start(args.bundle, args.prompts)
    reward = AppLayoutReward(str(args.reward or args.bundle / "models" / "reward"), tokenizer)
    trainer = RLOOTrainer(model=sft, reward_funcs=[reward], args=config, train_dataset=prompts, processing_class=tokenizer)
    trainer.train()
    save(trainer, tokenizer, args.out)


if __name__ == "__main__":
    main()
