"""The engine's entry point in a program's own Python environment (see environment.py).

Reads a request (program, stack, config file, mode), plans the program in this process and
writes {"plan": ..., "config": ...} or {"error": ...} to the result file the request names.
"""

from __future__ import annotations

import json
from pathlib import Path

from .environment import error_to_json
from .errors import EngineError
from .reads import Reads
from .runner import plan_program_here


def main(request_file: str) -> int:
    request = json.loads(Path(request_file).read_text())
    config_file = Path(request["config_file"]) if request["config_file"] else None
    try:
        plan = plan_program_here(Path(request["program"]), request["stack"], config_file, preview=request["preview"],
                                 reads=Reads.from_json(request.get("reads")))
        document = {"plan": plan.to_json(), "config": plan.config}
    except EngineError as exc:
        document = {"error": error_to_json(exc)}
    Path(request["result"]).write_text(json.dumps(document, default=str))
    return 0
