"""mladmin:workloads and the team quotas: one clear line per problem, naming the key."""

from __future__ import annotations

from tests.infra.test_config_errors import problems, stack_config

from stacks.settings import load_settings


def workloads(config: dict) -> dict:
    return config["mladmin:workloads"]


def test_the_latest_tag_is_refused():
    def edit(config):
        workloads(config)["serving"][0]["image"] = {"repository": "serving", "tag": "latest"}

    assert problems("prod", edit) == [
        "stacks/Pulumi.prod.yaml: mladmin:workloads.serving[0].image.tag: 'latest' is not a pinned tag "
        "(expected an immutable tag or a digest)"]


def test_an_unpinned_image_is_refused():
    def edit(config):
        workloads(config)["training"][0]["image"] = {"repository": "training"}

    assert problems("prod", edit) == [
        "stacks/Pulumi.prod.yaml: mladmin:workloads.training[0].image.tag: missing (expected an immutable tag "
        "such as 2026.12.01-3f9c2ab, or a digest)"]


def test_a_workload_of_an_unknown_team_names_the_teams_there_are():
    def edit(config):
        workloads(config)["serving"][0]["team"] = "marketing"

    assert problems("prod", edit) == [
        "stacks/Pulumi.prod.yaml: mladmin:workloads.serving[0].team: 'marketing' is not a team of this stack "
        "(expected one of applied, evaluation, research)"]


def test_a_training_job_on_a_cpu_pool_is_refused():
    def edit(config):
        workloads(config)["training"][0]["nodeGroup"] = "cpu-general"

    assert problems("prod", edit) == [
        "stacks/Pulumi.prod.yaml: mladmin:workloads.training[0].nodeGroup: 'cpu-general' has no NVIDIA GPUs "
        "(expected a GPU node group for a workload that asks for 8)"]


def test_a_training_job_larger_than_its_teams_gpu_quota_is_refused():
    def edit(config):
        workloads(config)["training"][0]["nodes"] = 4

    assert problems("prod", edit) == [
        "stacks/Pulumi.prod.yaml: mladmin:workloads.training[0]: needs 32 GPUs at once, more than team research's "
        "gpuQuota 24 (it would never be admitted)"]


def test_more_gpus_per_pod_than_a_node_holds_is_refused():
    def edit(config):
        workloads(config)["serving"][0]["gpus"] = 4

    assert problems("prod", edit) == [
        "stacks/Pulumi.prod.yaml: mladmin:workloads.serving[0]: 4 GPUs per pod is more than a 'gpu-serving' node "
        "holds (1)"]


def test_a_misspelt_workload_key_gets_a_hint():
    def edit(config):
        workloads(config)["serving"][0]["internalLoadbalancer"] = True

    (line,) = problems("prod", edit)
    assert line.startswith("stacks/Pulumi.prod.yaml: mladmin:workloads.serving[0].internalLoadbalancer: ")
    assert "internalLoadBalancer" in line


def test_team_quotas_default_to_cpu_and_memory_per_gpu():
    settings = load_settings(stack_config("prod"), source="stacks/Pulumi.prod.yaml", stack="prod")
    research = next(team for team in settings.teams if team.name == "research")
    assert (research.cpu_cores, research.memory_gib) == (16 + 12 * 24, 64 + 128 * 24)


def test_a_cpu_workload_on_a_gpu_pool_is_refused():
    def edit(config):
        server = workloads(config)["serving"][0]
        server["gpus"] = 0
        del server["architecture"]  # a CPU server names no GPU architecture (tests/capacity/test_stack.py)

    assert problems("prod", edit) == [
        "stacks/Pulumi.prod.yaml: mladmin:workloads.serving[0].nodeGroup: 'gpu-serving' is a GPU node group "
        "(expected gpus >= 1 there, or a CPU node group for a CPU workload)"]


def test_workloads_tolerate_every_taint_of_their_node_group():
    from stacks.kubernetes import tolerations

    settings = load_settings(stack_config("prod"), source="stacks/Pulumi.prod.yaml", stack="prod")
    assert tolerations(settings, "gpu-batch-spot") == [
        {"key": "nvidia.com/gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"},
        {"key": "mladmin.io/spot", "operator": "Equal", "value": "true", "effect": "NoSchedule"}]
    assert tolerations(settings, "cpu-general") == []
