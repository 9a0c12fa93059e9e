"""Answers for what a program reads from the world: `Resource.get`, `StackReference` and invokes.

Offline, an existing resource, another stack's outputs or a data source's result are unknowable, so
the user supplies them in a file (`--reads FILE`, YAML or JSON):

    resources:                       # Resource.get(name, id): by type token, then id -> outputs
      aws:s3/bucket:Bucket:
        my-existing-bucket: {arn: "arn:aws:s3:::my-existing-bucket", bucket: my-existing-bucket}
    stacks:                          # pulumi.StackReference(name): by stack name -> its outputs
      acme/network/prod: {vpcId: vpc-0123456789abcdef0}
    invokes:                         # data sources, by token: one result for any arguments ...
      aws:ec2/getVpc:getVpc: {id: vpc-0123456789abcdef0, cidrBlock: 10.0.0.0/16}
      aws:ec2/getSubnets:getSubnets: # ... or the first case whose args are all in the call's
        - args: {filters: [{name: vpc-id, values: [vpc-0123456789abcdef0]}]}
          result: {ids: [subnet-0aaaaaaaaaaaaaaaa, subnet-0bbbbbbbbbbbbbbbb]}

A read the file does not answer fails the run with one line naming it and the flag.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Union


from .errors import ConfigError, EngineError
from .project import load_yaml_file

FLAG = "--reads"
STACK_REFERENCE = "pulumi:pulumi:StackReference"


class UnansweredReadError(EngineError):
    """The program reads something the engine cannot know offline and no reads file answers."""


def _validate(data: dict) -> dict[str, Any]:
    """The file's answers as plain data, or pydantic's ValidationError. pydantic is imported here only:
    a program's own virtualenv (where the engine may run, see environment.py) need not have it."""
    from pydantic import BaseModel, ConfigDict, Field

    class InvokeCase(BaseModel):
        model_config = ConfigDict(extra="forbid")
        args: dict[str, Any] = Field(default_factory=dict)
        result: dict[str, Any]

    class ReadsFile(BaseModel):
        model_config = ConfigDict(extra="forbid")
        resources: dict[str, dict[str, dict[str, Any]]] = Field(default_factory=dict)
        stacks: dict[str, dict[str, Any]] = Field(default_factory=dict)
        invokes: dict[str, Union[list[InvokeCase], dict[str, Any]]] = Field(default_factory=dict)

    return ReadsFile.model_validate(data).model_dump()


EMPTY: dict[str, Any] = {"resources": {}, "stacks": {}, "invokes": {}}
_BRANCHES = {"list[InvokeCase]": list, "dict[str,any]": dict}
_KEYS = {0: "resources:, stacks: or invokes:", 3: "args: and result:"}


def _problem(error: dict) -> str:
    """One line for a validation error: where (the key path) and what was expected."""
    loc = [part for part in error["loc"] if part not in _BRANCHES]
    where = ".".join(str(part) for part in loc)
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"{where}: unknown key (expected {_KEYS.get(len(loc) - 1, 'resources:, stacks: or invokes:')})"
    if kind == "dict_type":
        found = "nothing" if error.get("input") is None else type(error.get("input")).__name__
        return f"{where}: expected a mapping, found {found}"
    if kind == "missing":
        return f"{where}: missing"
    return f"{where}: {error['msg'].lower()}"


def _problems(exc: Any, data: dict) -> list[str]:
    problems = []
    for error in exc.errors():
        loc = list(error["loc"])
        branch = next((b for b in loc if b in _BRANCHES), None)
        if branch is not None:  # an invoke's answer is a list of cases or one result map: report the one given
            given = data.get("invokes", {}).get(loc[1])
            if not isinstance(given, (list, dict)):
                problems.append(f"invokes.{loc[1]}: expected a result mapping or a list of args:/result: cases, "
                                f"found {type(given).__name__}")
                continue
            if not isinstance(given, _BRANCHES[branch]):
                continue
        problems.append(_problem(error))
    return sorted(set(problems))


def _matches(expected: Any, actual: Any) -> bool:
    """Every key given in a case's args is in the call with the same value (nested maps alike)."""
    if isinstance(expected, Mapping):
        return isinstance(actual, Mapping) and all(_matches(v, actual.get(k)) for k, v in expected.items())
    return expected == actual


class Reads:
    """The answers from one reads file (or none)."""

    def __init__(self, answers: dict[str, Any] | None = None, source: str | None = None) -> None:
        self.answers = answers or EMPTY
        self.source = source

    def to_json(self) -> dict[str, Any]:
        return {"answers": self.answers, "source": self.source}

    @classmethod
    def from_json(cls, document: dict[str, Any] | None) -> "Reads":
        return cls(**document) if document else cls()

    @classmethod
    def load(cls, path: Path | None) -> "Reads":
        if path is None:
            return cls()
        path = Path(path)
        if not path.is_file():
            raise ConfigError([f"{path}: file not found ({FLAG} expects a YAML or JSON file)"], source=str(path))
        data = load_yaml_file(path, "YAML or JSON")
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise ConfigError([f"{path}: expected a mapping with resources:, stacks: and/or invokes:"], source=str(path))
        from pydantic import ValidationError

        try:
            answers = _validate(data)
        except ValidationError as exc:
            raise ConfigError([f"{path}: {problem}" for problem in _problems(exc, data)], source=str(path)) from None
        return cls(answers, str(path))

    def _missing(self, what: str, example: str) -> UnansweredReadError:
        if self.source:
            return UnansweredReadError(f"{what} cannot be read offline and {self.source} does not answer it "
                                       f"(add {example})")
        return UnansweredReadError(f"{what} cannot be read offline: answer it with {FLAG} FILE ({example})")

    def resource(self, type_: str, id_: str) -> dict[str, Any]:
        """The outputs of an existing resource (`Resource.get`) or a stack reference."""
        if type_ == STACK_REFERENCE:
            outputs = self.answers["stacks"].get(id_)
            if outputs is None:
                raise self._missing(f"stack reference '{id_}'", f"stacks: {{{id_}: {{OUTPUT: VALUE}}}}")
            return {"name": id_, "outputs": dict(outputs), "secretOutputNames": []}
        outputs = self.answers["resources"].get(type_, {}).get(id_)
        if outputs is None:
            raise self._missing(f"{type_} '{id_}' (Resource.get)", f"resources: {{{type_}: {{{id_}: {{OUTPUT: VALUE}}}}}}")
        return dict(outputs)

    def invoke(self, token: str, args: Mapping[str, Any]) -> dict[str, Any] | None:
        """The file's answer to an invoke, or None when it gives none."""
        answer = self.answers["invokes"].get(token)
        if isinstance(answer, dict):
            return dict(answer)
        for case in answer or []:
            if _matches(case["args"], args):
                return dict(case["result"])
        return None

    def unanswered_invoke(self, token: str) -> UnansweredReadError:
        why = f"{token} cannot be answered offline (its result exists only in a real account)"
        example = f"invokes: {{{token}: {{RESULT_FIELD: VALUE}}}}"
        if self.source:
            return UnansweredReadError(f"{why} and {self.source} does not answer it (add {example})")
        return UnansweredReadError(f"{why}: answer it with {FLAG} FILE ({example})")
