"""Request bodies: the OpenAI completions and chat APIs, and the SageMaker `/invocations` body.

Strict on purpose: wrong types are rejected rather than coerced, and unknown fields are an error
(as in OpenAI's API), so a client never silently gets behaviour it did not ask for. Fields OpenAI
defines but this server does not implement are accepted only at their neutral value; `unsupported()`
names the first one set to anything else.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_STOP_STRINGS = 4


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


def _stop_strings(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(s, str) for s in value):
        if len(value) > MAX_STOP_STRINGS:
            raise ValueError(f"at most {MAX_STOP_STRINGS} stop strings are allowed, got {len(value)}")
        return value
    raise ValueError("expected a string or a list of strings")


class StreamOptions(_Strict):
    include_usage: bool = False


class _OpenAIRequest(_Strict):
    model: str | None = None                           # None: the served model
    temperature: Annotated[float, Field(ge=0, le=2)] = 1.0
    top_p: Annotated[float, Field(gt=0, le=1)] = 1.0
    n: Annotated[int, Field(ge=1)] = 1
    stream: bool = False
    stream_options: StreamOptions | None = None
    stop: Any = Field(default=None, validate_default=True)
    seed: int | None = None
    user: str | None = None
    presence_penalty: float = 0.0
    frequency_penalty: float = 0.0
    logit_bias: dict[str, float] | None = None

    @field_validator("stop", mode="before")
    @classmethod
    def _check_stop(cls, value: Any) -> list[str]:
        return _stop_strings(value)

    def unsupported(self) -> tuple[str, str] | None:
        """(param, message) for the first field set to a value this server does not implement."""
        if self.n != 1:
            return "n", f"n={self.n} is not supported: this server returns one choice per request (n=1)"
        for name in ("presence_penalty", "frequency_penalty"):
            if getattr(self, name):
                return name, f"{name} is not supported; leave it at 0"
        if self.logit_bias:
            return "logit_bias", "logit_bias is not supported"
        return None


class CompletionRequest(_OpenAIRequest):
    prompt: Any
    max_tokens: Annotated[int, Field(ge=1)] | None = 16       # OpenAI's default for completions
    echo: bool = False
    suffix: str | None = None
    best_of: int | None = None
    logprobs: int | None = None

    @field_validator("prompt", mode="before")
    @classmethod
    def _check_prompt(cls, value: Any) -> str | list[int]:
        """One prompt: a string, a one-string list, or a list of token ids."""
        if isinstance(value, str):
            return value
        if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str):
            return value[0]
        if isinstance(value, list) and value and all(type(t) is int for t in value):
            return value
        if isinstance(value, list) and all(isinstance(s, str) for s in value) and len(value) > 1:
            raise ValueError(f"got {len(value)} prompts; send one prompt per request")
        raise ValueError("expected a string or a non-empty list of token ids")

    def unsupported(self) -> tuple[str, str] | None:
        if self.echo:
            return "echo", "echo is not supported"
        if self.suffix:
            return "suffix", "suffix is not supported"
        if self.best_of not in (None, 1):
            return "best_of", f"best_of={self.best_of} is not supported (only 1)"
        if self.logprobs is not None:
            return "logprobs", "logprobs is not supported"
        return super().unsupported()


class TextPart(_Strict):
    type: Literal["text"]
    text: str


class ChatMessage(_Strict):
    role: Literal["system", "developer", "user", "assistant"]
    content: str | list[TextPart] | None = None
    name: str | None = None

    def text(self) -> str:
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "".join(part.text for part in self.content)


class ChatCompletionRequest(_OpenAIRequest):
    messages: Annotated[list[ChatMessage], Field(min_length=1)]
    max_tokens: Annotated[int, Field(ge=1)] | None = None            # None: as many as fit
    max_completion_tokens: Annotated[int, Field(ge=1)] | None = None  # OpenAI's newer name for it
    logprobs: bool | None = None
    top_logprobs: int | None = None

    def unsupported(self) -> tuple[str, str] | None:
        if self.logprobs or self.top_logprobs:
            return "logprobs", "logprobs is not supported"
        return super().unsupported()

    @property
    def token_limit(self) -> int | None:
        return self.max_completion_tokens if self.max_completion_tokens is not None else self.max_tokens


class InvocationParameters(_Strict):
    """Text-generation parameters as Hugging Face's SageMaker containers (TGI, the DLC) take them."""

    max_new_tokens: Annotated[int, Field(ge=1)] | None = None   # None: 64 (capped by the server limit)
    temperature: Annotated[float, Field(ge=0, le=2)] | None = None
    top_p: Annotated[float, Field(gt=0, le=1)] | None = None
    do_sample: bool | None = None         # None: sample when temperature or top_p is given
    stop: Any = Field(default=None, validate_default=True)
    seed: int | None = None
    return_full_text: bool = False        # prepend the prompt to generated_text
    details: bool = False                 # add finish_reason and token counts

    @field_validator("stop", mode="before")
    @classmethod
    def _check_stop(cls, value: Any) -> list[str]:
        return _stop_strings(value)


class InvocationRequest(_Strict):
    inputs: str | Annotated[list[str], Field(min_length=1)]
    parameters: InvocationParameters = InvocationParameters()
