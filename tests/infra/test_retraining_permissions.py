"""What a retraining pipeline's roles can actually do (identity, trust, bucket and key policies together).

| principal | allowed | denied |
| --- | --- | --- |
| pipeline role of model M | its jobs (pipelines-*), register in M's group, pass itself; read M's data, base model, gate; write M's artifacts, evaluations, checkpoints; data key; training image | another model's data and group; teams/ prefixes; passing the platform role; approving in another group; the serving repository's pushes |
| trigger role of M | start M's pipeline | start another pipeline |
| SageMaker / Scheduler / EventBridge | assume the roles for this account | for another account |
"""

from __future__ import annotations

import pytest

from policies.iam_evaluation import Service
from tests.infra.iam_model import Account

MODELS = ("chat-llm", "embedder")


@pytest.fixture(scope="module")
def prod(prod_plan) -> Account:
    return Account.from_plan(prod_plan)


def bucket(acct: Account, purpose: str) -> str:
    return f"mladmin-prod-{purpose}-{acct.account_id}-{acct.region}"


def sm(acct: Account, resource: str) -> str:
    return f"arn:aws:sagemaker:{acct.region}:{acct.account_id}:{resource}"


def allowed(acct, caller, action, resource, **context) -> bool:
    return acct.can(caller, action, resource, **context).allowed


@pytest.mark.parametrize("model", MODELS)
def test_pipeline_role_runs_its_jobs_and_registers_in_its_own_group(prod, model):
    role = prod.role(f"mladmin-prod-retrain-{model}")
    assert allowed(prod, role, "sagemaker:CreateTrainingJob", sm(prod, "training-job/pipelines-abc123-train-1"))
    assert allowed(prod, role, "sagemaker:CreateProcessingJob", sm(prod, "processing-job/pipelines-abc123-eval-1"))
    assert allowed(prod, role, "sagemaker:CreateModelPackage", sm(prod, f"model-package/mladmin-prod-{model}/3"))
    assert allowed(prod, role, "iam:PassRole", role.arn, **{"iam:PassedToService": "sagemaker.amazonaws.com"})


@pytest.mark.parametrize("model, other", [("chat-llm", "embedder"), ("embedder", "chat-llm")])
def test_pipeline_role_cannot_touch_another_models_group_or_approve(prod, model, other):
    role = prod.role(f"mladmin-prod-retrain-{model}")
    assert not allowed(prod, role, "sagemaker:CreateModelPackage", sm(prod, f"model-package/mladmin-prod-{other}/3"))
    assert not allowed(prod, role, "sagemaker:UpdateModelPackage", sm(prod, f"model-package/mladmin-prod-{model}/3"))
    assert not allowed(prod, role, "sagemaker:CreateTrainingJob", sm(prod, "training-job/research-sft"))
    assert not allowed(prod, role, "iam:PassRole", prod.role_arn("mladmin-prod-sagemaker-execution"),
                       **{"iam:PassedToService": "sagemaker.amazonaws.com"})


@pytest.mark.parametrize("model", MODELS)
def test_pipeline_role_reads_its_inputs_and_writes_its_outputs(prod, model):
    role = prod.role(f"mladmin-prod-retrain-{model}")
    datasets, models, checkpoints = (bucket(prod, p) for p in ("datasets", "models", "checkpoints"))
    assert allowed(prod, role, "s3:GetObject", f"arn:aws:s3:::{datasets}/platform/{model}/train/part-0.jsonl")
    assert allowed(prod, role, "s3:GetObject", f"arn:aws:s3:::{models}/platform/models/{model}/gate.yaml")
    assert allowed(prod, role, "s3:PutObject", f"arn:aws:s3:::{models}/platform/models/{model}/pipelines/j/output/model.tar.gz")
    assert allowed(prod, role, "s3:PutObject", f"arn:aws:s3:::{checkpoints}/platform/{model}/pipelines/j/step-1")
    assert allowed(prod, role, "s3:ListBucket", f"arn:aws:s3:::{datasets}", **{"s3:prefix": f"platform/{model}/train/"})
    key = prod.key_arn("alias/mladmin-prod-data")
    assert allowed(prod, role, "kms:Decrypt", key, **prod.via_s3(datasets))
    repo = f"arn:aws:ecr:{prod.region}:{prod.account_id}:repository/mladmin-prod/training"
    assert allowed(prod, role, "ecr:BatchGetImage", repo)


@pytest.mark.parametrize("model, other", [("chat-llm", "embedder"), ("embedder", "chat-llm")])
def test_pipeline_role_is_kept_out_of_other_data(prod, model, other):
    role = prod.role(f"mladmin-prod-retrain-{model}")
    datasets, models = bucket(prod, "datasets"), bucket(prod, "models")
    assert not allowed(prod, role, "s3:GetObject", f"arn:aws:s3:::{datasets}/platform/{other}/train/part-0.jsonl")
    assert not allowed(prod, role, "s3:GetObject", f"arn:aws:s3:::{datasets}/teams/research/private.jsonl")
    assert not allowed(prod, role, "s3:PutObject", f"arn:aws:s3:::{models}/platform/models/{model}/model.tar.gz")
    assert not allowed(prod, role, "s3:PutObject", f"arn:aws:s3:::{datasets}/platform/{model}/train/poison.jsonl")
    assert not allowed(prod, role, "ecr:PutImage",
                       f"arn:aws:ecr:{prod.region}:{prod.account_id}:repository/mladmin-prod/serving")
    assert not allowed(prod, role, "kms:ScheduleKeyDeletion", prod.key_arn("alias/mladmin-prod-data"))


def test_trigger_role_starts_only_its_own_pipeline(prod):
    role = prod.role("mladmin-prod-retrain-chat-llm-start")
    assert allowed(prod, role, "sagemaker:StartPipelineExecution", sm(prod, "pipeline/mladmin-prod-retrain-chat-llm"))
    assert not allowed(prod, role, "sagemaker:StartPipelineExecution", sm(prod, "pipeline/mladmin-prod-retrain-embedder"))
    assert not allowed(prod, role, "sagemaker:CreateTrainingJob", sm(prod, "training-job/pipelines-x"))


@pytest.mark.parametrize("service, role", [("sagemaker.amazonaws.com", "mladmin-prod-retrain-chat-llm"),
                                           ("scheduler.amazonaws.com", "mladmin-prod-retrain-chat-llm-start"),
                                           ("events.amazonaws.com", "mladmin-prod-retrain-chat-llm-start")])
def test_services_assume_the_pipeline_roles_only_for_this_account(prod, service, role):
    arn = prod.role_arn(role)
    assert allowed(prod, Service(service), "sts:AssumeRole", arn, **{"aws:SourceAccount": prod.account_id})
    assert not allowed(prod, Service(service), "sts:AssumeRole", arn, **{"aws:SourceAccount": "999999999999"})


def test_the_platform_role_writes_data_capture_only_under_platform_capture(prod):
    role = prod.role("mladmin-prod-sagemaker-execution")
    datasets = bucket(prod, "datasets")
    assert allowed(prod, role, "s3:PutObject", f"arn:aws:s3:::{datasets}/platform/capture/chat-prod/2026/12/02/x.jsonl")
    assert not allowed(prod, role, "s3:PutObject", f"arn:aws:s3:::{datasets}/platform/chat-llm/train/x.jsonl")
