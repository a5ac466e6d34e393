"""What train_reward.py and train_policy.py share: their command line, their TRL config from the bundle's
settings, their start (the bundle's SFT model, its tokenizer, a JSONL dataset) and how they save.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Callable

from datasets import load_dataset
from transformers import AutoTokenizer

from app_layout import overrides, precision, read_settings


def parse_args(doc: str, trained: str, config: str, inputs: Callable[[argparse.ArgumentParser], None]) -> argparse.Namespace:
    """--bundle and --out (where the trained `trained` goes), the script's own `inputs`, then --set (a `config`
    argument over the bundle's) and --seed."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bundle", type=Path, required=True, help="the unzipped bundle")
    ap.add_argument("--out", type=Path, required=True, help=f"where the trained {trained} goes (a GPT-2 folder)")
    inputs(ap)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help=f"{config} argument over the bundle's")
    ap.add_argument("--seed", type=int, default=0)
    return ap.parse_args()


def trainer_config(config_class, args: argparse.Namespace, section: str, logging_steps: int, **extra):
    """The bundle's settings, and a `config_class` from their `section` (trl_settings.json), the precision of
    this machine and the --set overrides; the run writes only the model (no checkpoints, no trackers)."""
    settings = read_settings(args.bundle)
    config = config_class(
        output_dir=str(args.out),
        **{**settings[section], **precision(), **overrides(args.set)},
        **extra,
        seed=args.seed,
        report_to="none",
        save_strategy="no",
        logging_steps=logging_steps,
    )
    return settings, config


def sft_start(bundle: Path, data: str):
    """The bundle's SFT model (its folder), its tokenizer and the JSONL rows at `data` (relative to the bundle)."""
    sft = str(bundle / "models" / "sft")
    tokenizer = AutoTokenizer.from_pretrained(sft)
    return sft, tokenizer, load_dataset("json", data_files=str(bundle / data), split="train")


def save(trainer, tokenizer, out: Path) -> None:
    """The trained model and its tokenizer, a GPT-2 folder the app imports."""
    trainer.save_model(str(out))
    tokenizer.save_pretrained(str(out))
