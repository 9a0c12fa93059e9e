"""SageMaker operations of the CLI: training jobs, the model registry and endpoint rollouts (boto3).

The values these need from the platform (role ARNs, buckets, subnets, keys) come from the stack's
outputs (`outputs.py`); what to run comes from the stack's settings.
"""
