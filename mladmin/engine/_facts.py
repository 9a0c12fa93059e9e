"""The policy pack's data-only fact tables (policies/facts/), loaded from their files.

The engine may run inside a program's own virtualenv (environment.py), where mladmin's `policies`
package is not importable and the name `policies` may even be the program's own; the fact modules
use only the standard library, so they are loaded from their files under a private name.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

FACTS_DIR = Path(__file__).resolve().parents[2] / "policies" / "facts"


def load_facts(name: str) -> ModuleType:
    module_name = f"_mladmin_facts_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, FACTS_DIR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module
