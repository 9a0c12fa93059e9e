"""The mladmin Pulumi program: one environment of the LLM platform.

`pulumi up` runs this file; so does `mladmin plan` under the offline engine.
"""

import pulumi

from stacks.platform import build_platform
from stacks.settings import settings_from_pulumi

settings = settings_from_pulumi(pulumi.get_stack())
platform = build_platform(settings)

for name, value in platform.outputs().items():
    pulumi.export(name, value)
