"""The model: loading, prompt encoding, chat rendering and batched step-wise decoding with a KV cache."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import torch

# The role-prefixed template used when the tokenizer ships no chat template of its own:
#   "system: ...\nuser: ...\nassistant: ...\nassistant:"
FALLBACK_CHAT_TEMPLATE = "{role}: {content}\n"
FALLBACK_GENERATION_PROMPT = "assistant:"


class ModelLoadError(Exception):
    """The model directory cannot be served; the message says why."""


@dataclass(frozen=True)
class SamplingParams:
    max_tokens: int
    temperature: float = 1.0      # 0 means greedy
    top_p: float = 1.0
    stop: tuple[str, ...] = ()
    seed: int | None = None


class DecodingSequence(Protocol):
    """What the decoding loop needs from one request (implemented by the batcher's handles)."""

    prompt_ids: list[int]
    params: SamplingParams

    def is_cancelled(self) -> bool: ...
    def push(self, token_id: int, is_eos: bool) -> bool: ...   # True when the sequence is finished
    def abort(self) -> None: ...


class Engine:
    def __init__(self, model, tokenizer, device: torch.device):
        self.model = model
        self.tokenizer = tokenizer
        self.device = device
        config = model.config
        self.context_length = int(
            getattr(config, "max_position_embeddings", None) or getattr(config, "n_positions", None) or 2048
        )
        eos = model.generation_config.eos_token_id if model.generation_config else None
        eos = eos if eos is not None else tokenizer.eos_token_id
        self.eos_token_ids = frozenset(eos if isinstance(eos, list) else [] if eos is None else [eos])
        pad = tokenizer.pad_token_id
        self.pad_token_id = pad if pad is not None else next(iter(self.eos_token_ids), 0)
        self.bos_token_id = tokenizer.bos_token_id

    @classmethod
    def load(cls, model_dir: Path, device: str = "auto", cpu_threads: int | None = None) -> Engine:
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        if device == "cuda" and not torch.cuda.is_available():
            raise ModelLoadError("--device cuda: no CUDA device is available")
        if device == "cpu" and cpu_threads:
            torch.set_num_threads(cpu_threads)   # small models decode faster on one thread than on busy cores
        dtype = torch.bfloat16 if device == "cuda" and torch.cuda.is_bf16_supported() else torch.float32
        try:
            tokenizer = AutoTokenizer.from_pretrained(model_dir)
            model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=dtype)
        except (OSError, ValueError, KeyError) as exc:
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelLoadError(f"{model_dir}: cannot load the model or tokenizer: {first_line}") from exc
        model.to(device).eval()
        return cls(model, tokenizer, torch.device(device))

    def encode(self, text: str) -> list[int]:
        ids = self.tokenizer(text, add_special_tokens=True)["input_ids"]
        if not ids:  # an empty prompt still needs one position to predict from
            ids = [self.bos_token_id if self.bos_token_id is not None else self.pad_token_id]
        return ids

    def decode(self, token_ids: Sequence[int]) -> str:
        return self.tokenizer.decode(token_ids, skip_special_tokens=True)

    def render_chat(self, messages: list[dict[str, str]]) -> str:
        """The prompt for a chat: the tokenizer's chat template, else the role-prefixed fallback."""
        if getattr(self.tokenizer, "chat_template", None):
            return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        rendered = "".join(FALLBACK_CHAT_TEMPLATE.format(**m) for m in messages)
        return rendered + FALLBACK_GENERATION_PROMPT

    @torch.inference_mode()
    def generate(self, sequences: Sequence[DecodingSequence]) -> int:
        """Decode `sequences` together until each one finished; return the number of tokens generated.

        Prompts are left-padded into one batch; every step feeds one token per live sequence through
        the model with the shared KV cache. Finished sequences are dropped from the batch (and cache)
        so the rest decode at the cost of the smaller batch.
        """
        from transformers import DynamicCache

        live = list(sequences)
        width = max(len(s.prompt_ids) for s in live)
        input_ids = torch.full((len(live), width), self.pad_token_id, dtype=torch.long)
        attention = torch.zeros((len(live), width), dtype=torch.long)
        for row, seq in enumerate(live):
            input_ids[row, width - len(seq.prompt_ids):] = torch.tensor(seq.prompt_ids)
            attention[row, width - len(seq.prompt_ids):] = 1
        input_ids, attention = input_ids.to(self.device), attention.to(self.device)
        positions = (attention.cumsum(-1) - 1).clamp(min=0)
        generators = [self._generator(seq.params.seed) for seq in live]
        cache = DynamicCache(config=self.model.config)
        generated = 0

        while live:
            logits = self.model(
                input_ids=input_ids, attention_mask=attention, position_ids=positions,
                past_key_values=cache, use_cache=True,
            ).logits[:, -1, :]
            next_ids = self._sample(logits.float(), [s.params for s in live], generators).tolist()
            keep = []
            for row, (seq, token_id) in enumerate(zip(live, next_ids)):
                if seq.is_cancelled():
                    seq.abort()
                    continue
                generated += 1
                if not seq.push(token_id, token_id in self.eos_token_ids):
                    keep.append(row)
            if len(keep) < len(live):
                if not keep:
                    break
                index = torch.tensor(keep, device=self.device)
                cache.batch_select_indices(index)
                attention, positions = attention[index], positions[index]
                live = [live[r] for r in keep]
                generators = [generators[r] for r in keep]
                next_ids = [next_ids[r] for r in keep]
            input_ids = torch.tensor(next_ids, device=self.device).unsqueeze(-1)
            positions = positions[:, -1:] + 1
            attention = torch.cat([attention, attention.new_ones((len(live), 1))], dim=-1)
        return generated

    def _generator(self, seed: int | None) -> torch.Generator:
        generator = torch.Generator(device=self.device)
        if seed is None:
            generator.seed()
        else:
            generator.manual_seed(seed)
        return generator

    @staticmethod
    def _sample(logits: torch.Tensor, params: list[SamplingParams], generators: list[torch.Generator]):
        """One token per row: greedy where temperature is 0, else temperature + nucleus sampling."""
        chosen = logits.argmax(dim=-1)
        for row, p in enumerate(params):
            if p.temperature == 0:
                continue
            probs = torch.softmax(logits[row] / p.temperature, dim=-1)
            if p.top_p < 1.0:
                sorted_probs, order = probs.sort(descending=True)
                outside = sorted_probs.cumsum(-1) - sorted_probs > p.top_p   # keeps at least the top token
                sorted_probs[outside] = 0.0
                probs = torch.zeros_like(probs).scatter_(0, order, sorted_probs)
            chosen[row] = torch.multinomial(probs, 1, generator=generators[row])[0]
        return chosen
