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
    def abort(self, reason: str = "abort") -> None: ...


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

    def generate(self, sequences: Sequence[DecodingSequence]) -> int:
        """Decode `sequences` together until each one finished; return the number of tokens generated."""
        batch = DecodeBatch(self)
        generated = batch.add(sequences)
        while batch:
            generated += batch.step()
        return generated

    def generator(self, seed: int | None) -> torch.Generator:
        generator = torch.Generator(device=self.device)
        if seed is None:
            generator.seed()
        else:
            generator.manual_seed(seed)
        return generator

    @staticmethod
    def sample(logits: torch.Tensor, params: list[SamplingParams], generators: list[torch.Generator]):
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


class DecodeBatch:
    """The sequences decoding together, with one KV cache; sequences join and leave between steps.

    `add` prefills new sequences (left-padded) and samples their first token, then merges them into
    the running batch: the shorter cache is padded on the left with masked positions, so every row
    stays "padding, then tokens" and each row keeps its own position ids. `step` feeds one token per
    live sequence. Finished sequences are dropped from the cache, and cache columns that are padding
    in every row are trimmed, so a long-running batch costs what its live sequences need.
    """

    def __init__(self, engine: Engine):
        self.engine = engine
        self.live: list[DecodingSequence] = []
        self._generators: list[torch.Generator] = []
        self._cache = None
        self._attention: torch.Tensor | None = None
        self._positions: torch.Tensor | None = None
        self._next_ids: list[int] = []

    def __len__(self) -> int:
        return len(self.live)

    @property
    def can_join(self) -> bool:
        """Whether new sequences can join a running batch (plain full-attention KV caches only)."""
        from transformers.cache_utils import DynamicLayer

        return self._cache is None or all(type(layer) is DynamicLayer for layer in self._cache.layers)

    @torch.inference_mode()
    def add(self, sequences: Sequence[DecodingSequence]) -> int:
        """Prefill `sequences`, sample their first tokens and merge them in; return tokens generated."""
        from transformers import DynamicCache

        engine, device = self.engine, self.engine.device
        joining = list(sequences)
        width = max(len(s.prompt_ids) for s in joining)
        input_ids = torch.full((len(joining), width), engine.pad_token_id, dtype=torch.long)
        attention = torch.zeros((len(joining), width), dtype=torch.long)
        for row, seq in enumerate(joining):
            input_ids[row, width - len(seq.prompt_ids):] = torch.tensor(seq.prompt_ids)
            attention[row, width - len(seq.prompt_ids):] = 1
        input_ids, attention = input_ids.to(device), attention.to(device)
        positions = (attention.cumsum(-1) - 1).clamp(min=0)
        cache = DynamicCache(config=engine.model.config)
        logits = engine.model(input_ids=input_ids, attention_mask=attention, position_ids=positions,
                              past_key_values=cache, use_cache=True).logits[:, -1, :]
        generators = [engine.generator(seq.params.seed) for seq in joining]
        next_ids = engine.sample(logits.float(), [s.params for s in joining], generators).tolist()
        keep, generated = self._push(joining, next_ids)
        if not keep:
            return generated
        index = torch.tensor(keep, device=device)
        cache.batch_select_indices(index)
        joining = [joining[r] for r in keep]
        positions, attention = positions[index, -1:], attention[index]
        if self._cache is None:
            self._cache, self._attention, self._positions = cache, attention, positions
        else:
            self._merge(cache, attention, positions)
        self.live += joining
        self._generators += [generators[r] for r in keep]
        self._next_ids += [next_ids[r] for r in keep]
        return generated

    @torch.inference_mode()
    def step(self) -> int:
        """Decode one token for every live sequence; return how many were generated."""
        engine, device = self.engine, self.engine.device
        self._attention = torch.cat([self._attention, self._attention.new_ones((len(self.live), 1))], dim=-1)
        self._positions = self._positions + 1
        logits = engine.model(input_ids=torch.tensor(self._next_ids, device=device).unsqueeze(-1),
                              attention_mask=self._attention, position_ids=self._positions,
                              past_key_values=self._cache, use_cache=True).logits[:, -1, :]
        next_ids = engine.sample(logits.float(), [s.params for s in self.live], self._generators).tolist()
        keep, generated = self._push(self.live, next_ids)
        self._next_ids = next_ids
        self._keep(keep)
        return generated

    def abort_all(self, reason: str = "abort") -> None:
        for seq in self.live:
            seq.abort(reason)
        self._keep([])

    def _push(self, sequences: list[DecodingSequence], next_ids: list[int]) -> tuple[list[int], int]:
        keep, generated = [], 0
        for row, (seq, token_id) in enumerate(zip(sequences, next_ids)):
            if seq.is_cancelled():
                seq.abort()
                continue
            generated += 1
            if not seq.push(token_id, token_id in self.engine.eos_token_ids):
                keep.append(row)
        return keep, generated

    def _keep(self, rows: list[int]) -> None:
        if len(rows) == len(self.live):
            return
        if not rows:
            self.__init__(self.engine)
            return
        index = torch.tensor(rows, device=self.engine.device)
        self._cache.batch_select_indices(index)
        self._attention, self._positions = self._attention[index], self._positions[index]
        self.live = [self.live[r] for r in rows]
        self._generators = [self._generators[r] for r in rows]
        self._next_ids = [self._next_ids[r] for r in rows]
        padding = int((self._attention.sum(0) == 0).long().cumprod(0).sum())   # leading all-padding columns
        if padding:
            self._attention = self._attention[:, padding:]
            for layer in self._cache.layers:
                layer.keys, layer.values = layer.keys[..., padding:, :], layer.values[..., padding:, :]

    def _merge(self, cache, attention: torch.Tensor, positions: torch.Tensor) -> None:
        """Append the rows of another batch, left-padding whichever cache is shorter."""
        mine, theirs = self._attention.shape[1], attention.shape[1]
        width = max(mine, theirs)

        def pad(tensor: torch.Tensor, length: int) -> torch.Tensor:   # left-pad along the sequence axis
            if length == width:
                return tensor
            shape = list(tensor.shape)
            axis = -2 if tensor.dim() == 4 else -1
            shape[axis] = width - length
            return torch.cat([tensor.new_zeros(shape), tensor], dim=axis)

        for layer, other in zip(self._cache.layers, cache.layers):
            layer.keys = torch.cat([pad(layer.keys, mine), pad(other.keys, theirs)], dim=0)
            layer.values = torch.cat([pad(layer.values, mine), pad(other.values, theirs)], dim=0)
        self._attention = torch.cat([pad(self._attention, mine), pad(attention, theirs)], dim=0)
        self._positions = torch.cat([self._positions, positions], dim=0)
