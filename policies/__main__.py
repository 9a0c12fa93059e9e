"""Entry point of the policy pack (`pulumi preview --policy-pack policies`): assembles the pack.

Constructing PolicyPack starts the analyzer's gRPC server and blocks, so nothing imports this
module; the offline runner uses policies.pack directly.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the pack dir's parent holds `policies`

from pulumi_policy import PolicyPack  # noqa: E402

from policies.catalogue import catalogue  # noqa: E402
from policies.config import PolicyConfigError, detect_environment, load_settings, stack_policy_config  # noqa: E402
from policies.pack import PACK_DESCRIPTION, PACK_NAME, build_policies, initial_config  # noqa: E402

environment = detect_environment()
try:
    settings = load_settings(stack_policy_config(), catalogue(), environment, source="stack config")
except PolicyConfigError as error:
    sys.stderr.write(f"{error}\n")
    sys.exit(2)

PolicyPack(
    name=PACK_NAME,
    description=PACK_DESCRIPTION,
    policies=build_policies(environment, settings),
    initial_config=initial_config(environment, settings),  # the stack's exemptions and parameters
)
