"""The mladmin Pulumi program: one environment of the LLM platform.

`pulumi up` runs this file; so does `mladmin plan` under the offline engine.
"""

import pulumi

from stacks.platform import build_platform
from stacks.sagemaker import build_sagemaker
from stacks.settings import SettingsError, settings_from_pulumi

try:
    settings = settings_from_pulumi(pulumi.get_stack())
except SettingsError as error:
    # RunError: the CLI prints the message alone, one line per problem, without a stack trace.
    raise pulumi.RunError(str(error)) from None

platform = build_platform(settings)
sagemaker = build_sagemaker(settings, platform)

for name, value in {**platform.outputs(), **sagemaker.outputs()}.items():
    pulumi.export(name, value)
