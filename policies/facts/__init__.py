"""Facts that the settings (stacks/settings) and the policies both judge by, each defined once.

Data only: the standard library, no Pulumi, and no import from stacks, components or mladmin, so
`pulumi policy publish` of policies/ alone still ships them. Settings import from here (stacks ->
policies is the allowed direction). Each table says where its rows come from and when they were
checked; change a fact here and both the settings and the pack follow.

- `environments`: the environments and their per-environment minima (log retention, GPU allowlist).
- `eks`: the EKS Kubernetes release calendar and the control-plane log types.
- `instance_types`: EC2 (and SageMaker ``ml.``) instance families: sizes, accelerators, instance store.
- `sagemaker_iam`: the IAM condition keys of the SageMaker actions that start compute (Service
  Authorization Reference).
- `regions`: the AWS regions, their availability zones (letters and zone ids) and which need opt-in;
  the offline engine answers `get_regions`/`get_availability_zones` from it.
"""
