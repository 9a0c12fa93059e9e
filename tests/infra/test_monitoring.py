"""Monitoring and budgets of the shipped stacks: log groups, the alert topic, alarms, the training-failure
rule, the dashboard, CloudTrail, Prometheus and Grafana, budgets and cost-allocation tags."""

from __future__ import annotations

import copy
import json
import re
from functools import lru_cache
from pathlib import Path

import pytest
import yaml

from policies.facts.environments import LOG_RETENTION_MIN_DAYS
from policies.iam_evaluation import Principal, Service, evaluate
from tests.infra.iam_model import Account

ROOT = Path(__file__).resolve().parents[2]
STACKS = ("dev", "staging", "prod")
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
TRAIL = "aws:cloudtrail/trail:Trail"
BUDGET = "aws:budgets/budget:Budget"
COST_TAG = "aws:costexplorer/costAllocationTag:CostAllocationTag"
PAGER = "arn:aws:sns:us-east-1:123456789012:pagerduty-ml-platform"


@lru_cache(maxsize=None)
def _config(stack: str) -> dict:
    return yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]


def config(stack: str) -> dict:
    return copy.deepcopy(_config(stack))


def prefix(stack: str) -> str:
    return f"mladmin-{stack}"


def topic_arn(stack: str) -> str:
    return f"arn:aws:sns:us-east-1:123456789012:{prefix(stack)}-alerts"


def alarms(plan) -> dict[str, dict]:
    return {r.inputs["name"]: r.inputs for r in plan.of_type(ALARM)}


def endpoints(stack: str) -> list[str]:
    return [f"{prefix(stack)}-{e['name']}" for e in config(stack)["mladmin:sagemaker"]["endpoints"]]


# --- log groups ---------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_every_log_group_has_a_kms_key_and_at_least_the_environment_retention(all_plans, stack):
    groups = all_plans[stack].of_type(LOG_GROUP)
    assert groups
    for group in groups:
        assert group.inputs["kmsKeyId"].startswith("arn:aws:kms:"), group.name
        assert group.inputs["retentionInDays"] >= LOG_RETENTION_MIN_DAYS[stack], group.name


@pytest.mark.parametrize("stack", STACKS)
def test_service_log_groups_exist_before_the_services_with_the_monitoring_retention(all_plans, stack):
    retention = config(stack)["mladmin:monitoring"]["logRetentionDays"]
    groups = {g.inputs["name"]: g.inputs["retentionInDays"] for g in all_plans[stack].of_type(LOG_GROUP)}
    for endpoint in endpoints(stack):
        assert groups[f"/aws/sagemaker/Endpoints/{endpoint}"] == retention


def test_container_insights_log_groups_only_where_container_insights_is_on(all_plans):
    def insights(stack):
        return sorted(g.inputs["name"] for g in all_plans[stack].of_type(LOG_GROUP)
                      if g.inputs["name"].startswith("/aws/containerinsights/"))

    assert insights("dev") == []  # containerInsights: false
    assert insights("prod") == [f"/aws/containerinsights/mladmin-prod-eks/{kind}"
                                for kind in ("application", "dataplane", "host", "performance")]


# --- the alert topic ----------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_alert_topic_is_encrypted_with_its_own_key_by_alias(all_plans, stack):
    (topic,) = all_plans[stack].of_type(TOPIC)
    assert topic.inputs["name"] == f"{prefix(stack)}-alerts"
    assert topic.inputs["kmsMasterKeyId"] == f"alias/{prefix(stack)}-alerts"
    assert f"alias/{prefix(stack)}-alerts" in {a.inputs["name"] for a in all_plans[stack].of_type("aws:kms/alias:Alias")}


@pytest.mark.parametrize("stack", STACKS)
def test_alarm_emails_subscribe_to_the_alert_topic(all_plans, stack):
    subscriptions = all_plans[stack].of_type(SUBSCRIPTION)
    assert sorted(s.inputs["endpoint"] for s in subscriptions) == sorted(config(stack)["mladmin:monitoring"]["alarmEmails"])
    assert {(s.inputs["protocol"], s.inputs["topic"]) for s in subscriptions} == {("email", topic_arn(stack))}


def topic_document(plan) -> dict:
    (policy,) = plan.of_type(TOPIC_POLICY)
    return json.loads(policy.inputs["policy"])


@pytest.mark.parametrize("service", ["cloudwatch.amazonaws.com", "events.amazonaws.com", "budgets.amazonaws.com"])
def test_alert_services_of_this_account_publish_to_the_topic_and_no_one_else(prod_plan, service):
    document, arn = topic_document(prod_plan), topic_arn("prod")
    own = {"aws:SourceAccount": "123456789012"}
    assert evaluate(Service(service), "sns:Publish", arn, context=own, resource_policy=document,
                    resource_account="123456789012", resource_policy_required=True).allowed
    assert not evaluate(Service(service), "sns:Publish", arn, context={"aws:SourceAccount": "999999999999"},
                        resource_policy=document, resource_account="123456789012", resource_policy_required=True).allowed
    stranger = Principal("arn:aws:iam::999999999999:role/x", identity_policies=[
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sns:*", "Resource": "*"}]}])
    assert not evaluate(stranger, "sns:Publish", arn, resource_policy=document,
                        resource_account="123456789012", resource_policy_required=True).allowed


@pytest.mark.parametrize("service", ["cloudwatch.amazonaws.com", "events.amazonaws.com", "budgets.amazonaws.com"])
def test_alert_services_encrypt_with_the_alert_key_for_this_account_only(prod_plan, service):
    acct = Account.from_plan(prod_plan)
    key = acct.key_arn("alias/mladmin-prod-alerts")
    assert acct.can(Service(service), "kms:GenerateDataKey", key, **{"aws:SourceAccount": acct.account_id}).allowed
    assert not acct.can(Service(service), "kms:GenerateDataKey", key, **{"aws:SourceAccount": "999999999999"}).allowed
    assert not acct.can(Service("s3.amazonaws.com"), "kms:GenerateDataKey", key,
                        **{"aws:SourceAccount": acct.account_id}).allowed


# --- alarms -------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_every_alarm_is_enabled_and_notifies_the_alert_topic(all_plans, stack):
    found = alarms(all_plans[stack])
    assert found
    for name, alarm in found.items():
        assert alarm["actionsEnabled"] is True, name
        assert topic_arn(stack) in alarm["alarmActions"], name


def test_prod_alarms_also_page_the_configured_topic(prod_plan, dev_plan):
    assert all(PAGER in alarm["alarmActions"] for alarm in alarms(prod_plan).values())
    assert all(alarm["alarmActions"] == [topic_arn("dev")] for alarm in alarms(dev_plan).values())


@pytest.mark.parametrize("stack", STACKS)
def test_each_endpoint_has_error_rate_latency_traffic_and_drift_alarms(all_plans, stack):
    names = set(alarms(all_plans[stack]))
    for endpoint in endpoints(stack):
        assert {f"{endpoint}-{kind}" for kind in ("5xx-rate", "latency-p99", "no-invocations", "drift")} <= names


def test_endpoint_alarms_watch_sagemaker_metrics_of_the_endpoint_variant(prod_plan):
    found = alarms(prod_plan)
    dims = {"EndpointName": "mladmin-prod-chat-prod", "VariantName": "primary"}
    latency = found["mladmin-prod-chat-prod-latency-p99"]
    assert (latency["namespace"], latency["metricName"], latency["extendedStatistic"]) == ("AWS/SageMaker", "ModelLatency", "p99")
    assert latency["dimensions"] == dims and latency["threshold"] == 2000 * 1000  # microseconds
    rate = found["mladmin-prod-chat-prod-5xx-rate"]
    metrics = {q["id"]: q["metric"] for q in rate["metricQueries"] if "metric" in q}
    assert {m["metricName"] for m in metrics.values()} == {"Invocation5XXErrors", "Invocations"}
    assert all(m["dimensions"] == dims for m in metrics.values())
    assert [q["id"] for q in rate["metricQueries"] if q.get("returnData")] == ["rate"]
    idle = found["mladmin-prod-chat-prod-no-invocations"]
    assert (idle["metricName"], idle["comparisonOperator"], idle["treatMissingData"]) == (
        "Invocations", "LessThanThreshold", "breaching")


def test_drift_alarm_watches_exactly_the_series_mladmin_drift_publishes(prod_plan):
    from workloads.drift.cloudwatch import DEFAULT_METRIC_NAME, DEFAULT_NAMESPACE, metric_data
    from workloads.drift.compare import Thresholds as DriftThresholds

    report = {"metrics": {"prompt_length_psi": {"value": 0.3}, "token_frequency_psi": {"value": 0.1},
                          "unknown_token_rate": {"value": None}}}
    headline, *_ = metric_data(report, DEFAULT_METRIC_NAME,
                               {"EndpointName": "mladmin-prod-chat-prod", "ModelName": "chat-llm"})
    alarm = alarms(prod_plan)["mladmin-prod-chat-prod-drift"]
    assert (alarm["namespace"], alarm["metricName"]) == (DEFAULT_NAMESPACE, headline["MetricName"])
    assert alarm["dimensions"] == {d["Name"]: d["Value"] for d in headline["Dimensions"]}
    assert alarm["threshold"] == DriftThresholds().psi


def test_cluster_alarms_watch_container_insights_only_where_it_is_on(all_plans):
    assert not [n for n in alarms(all_plans["dev"]) if n.startswith("mladmin-dev-eks-")]
    found = alarms(all_plans["prod"])
    cluster = {"ClusterName": "mladmin-prod-eks"}
    for name, metric in [("gpu-idle", "node_gpu_utilization"), ("gpu-saturated", "node_gpu_utilization"),
                         ("nodes-not-ready", "cluster_failed_node_count")]:
        alarm = found[f"mladmin-prod-eks-{name}"]
        assert (alarm["namespace"], alarm["metricName"], alarm["dimensions"]) == ("ContainerInsights", metric, cluster)
    idle = found["mladmin-prod-eks-gpu-idle"]
    assert idle["period"] * idle["evaluationPeriods"] == 3 * 3600 and idle["comparisonOperator"] == "LessThanThreshold"


@pytest.fixture(scope="module")
def edited_dev_plan(tmp_path_factory):
    """dev with other alarm thresholds and without cost-allocation tag activation."""
    from mladmin.engine import plan_stack

    edited = {"config": config("dev")}
    edited["config"]["mladmin:monitoring"]["alarms"] = {"latencyP99Ms": 500, "driftThreshold": 0.3, "noInvocationsMinutes": 30}
    edited["config"]["mladmin:budgets"]["activateCostAllocationTags"] = False
    path = tmp_path_factory.mktemp("edited") / "Pulumi.dev.yaml"
    path.write_text(yaml.safe_dump(edited))
    return plan_stack("dev", path, preview=False)


def test_alarm_thresholds_come_from_the_settings(edited_dev_plan):
    found = alarms(edited_dev_plan)
    assert found["mladmin-dev-chat-dev-latency-p99"]["threshold"] == 500 * 1000
    assert found["mladmin-dev-chat-dev-drift"]["threshold"] == 0.3
    assert found["mladmin-dev-chat-dev-no-invocations"]["evaluationPeriods"] == 6


def test_a_new_account_can_deploy_before_its_tags_reach_billing(edited_dev_plan):
    assert edited_dev_plan.of_type(COST_TAG) == []
    assert budgets(edited_dev_plan)  # the budgets stay


# --- training-job failures ----------------------------------------------------------------------


@pytest.mark.parametrize("stack, targets", [("dev", [topic_arn("dev")]), ("prod", [topic_arn("prod"), PAGER])])
def test_failed_training_jobs_reach_the_alert_topics_as_a_readable_message(all_plans, stack, targets):
    (rule,) = [r for r in all_plans[stack].of_type(RULE) if r.inputs["name"] == f"{prefix(stack)}-training-job-failed"]
    assert json.loads(rule.inputs["eventPattern"]) == {
        "source": ["aws.sagemaker"], "detail-type": ["SageMaker Training Job State Change"],
        "detail": {"TrainingJobStatus": ["Failed"]}}
    found = [t for t in all_plans[stack].of_type(TARGET) if t.inputs["rule"] == rule.inputs["name"]]
    assert sorted(t.inputs["arn"] for t in found) == sorted(targets)
    for target in found:
        assert target.inputs["rule"] == rule.inputs["name"]
        transformer = target.inputs["inputTransformer"]
        assert transformer["inputPaths"]["job"] == "$.detail.TrainingJobName"
        assert "<job>" in transformer["inputTemplate"] and "<reason>" in transformer["inputTemplate"]


# --- dashboard ----------------------------------------------------------------------------------


def metric_rows(body: dict) -> list[list]:
    return [row for w in body["widgets"] if w["type"] == "metric" for row in w["properties"]["metrics"]]


@pytest.mark.parametrize("stack", STACKS)
def test_one_dashboard_whose_metric_rows_are_namespace_name_and_dimension_pairs(all_plans, stack):
    (dashboard,) = all_plans[stack].of_type(DASHBOARD)
    assert dashboard.inputs["dashboardName"] == f"{prefix(stack)}-platform"
    body = json.loads(dashboard.inputs["dashboardBody"])
    for widget in body["widgets"]:
        assert {"type", "x", "y", "width", "height", "properties"} <= set(widget)
        assert widget["x"] + widget["width"] <= 24
    for row in metric_rows(body):
        *names, options = row
        assert isinstance(options, dict) and "stat" in options
        assert all(isinstance(n, str) and n for n in names) and len(names) % 2 == 0, row


def test_prod_dashboard_shows_latency_throughput_errors_gpu_and_spend(prod_plan):
    (dashboard,) = prod_plan.of_type(DASHBOARD)
    rows = metric_rows(json.loads(dashboard.inputs["dashboardBody"]))
    shown = {(row[0], row[1]) for row in rows}
    assert {("AWS/SageMaker", "ModelLatency"), ("AWS/SageMaker", "Invocations"), ("AWS/SageMaker", "Invocation5XXErrors"),
            ("ContainerInsights", "node_gpu_utilization"), ("AWS/Billing", "EstimatedCharges")} <= shown
    assert {row[3] for row in rows if row[0] == "AWS/SageMaker"} == set(endpoints("prod"))


# --- CloudTrail ---------------------------------------------------------------------------------


def test_cloudtrail_only_in_staging_and_prod(all_plans):
    assert [len(all_plans[s].of_type(TRAIL)) for s in STACKS] == [0, 1, 1]


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_trail_records_every_region_validated_and_encrypted_into_the_logs_bucket(all_plans, stack):
    (trail,) = all_plans[stack].of_type(TRAIL)
    inputs = trail.inputs
    assert inputs["isMultiRegionTrail"] and inputs["includeGlobalServiceEvents"] and inputs["enableLogFileValidation"]
    assert inputs["kmsKeyId"] == f"arn:aws:kms:us-east-1:123456789012:alias/{prefix(stack)}-trail"
    assert inputs["s3BucketName"] == f"{prefix(stack)}-access-logs-123456789012-us-east-1"
    policy = next(r for r in all_plans[stack].of_type("aws:s3/bucketPolicy:BucketPolicy")
                  if r.inputs["bucket"] == inputs["s3BucketName"])
    assert policy.urn in trail.dependencies  # AWS checks the bucket policy when the trail is created
    assert trail.protect  # staging and prod are protected


def test_cloudtrail_writes_only_its_own_log_files_and_encrypts_them_with_the_trail_key(prod_plan):
    acct = Account.from_plan(prod_plan)
    trail = "arn:aws:cloudtrail:us-east-1:123456789012:trail/mladmin-prod-trail"
    bucket = "arn:aws:s3:::mladmin-prod-access-logs-123456789012-us-east-1"
    cloudtrail = Service("cloudtrail.amazonaws.com")
    write = {"aws:SourceArn": trail, "s3:x-amz-acl": "bucket-owner-full-control"}
    assert acct.can(cloudtrail, "s3:PutObject", f"{bucket}/cloudtrail/AWSLogs/123456789012/x.json.gz", **write).allowed
    assert acct.can(cloudtrail, "s3:GetBucketAcl", bucket, **{"aws:SourceArn": trail}).allowed
    assert not acct.can(cloudtrail, "s3:PutObject", f"{bucket}/s3-access/x", **write).allowed
    assert not acct.can(cloudtrail, "s3:PutObject", f"{bucket}/cloudtrail/AWSLogs/123456789012/x.json.gz",
                        **{**write, "aws:SourceArn": trail.replace("mladmin-prod-trail", "other")}).allowed
    key = acct.key_arn("alias/mladmin-prod-trail")
    context = {"aws:SourceArn": trail, "kms:EncryptionContext:aws:cloudtrail:arn": trail}
    assert acct.can(cloudtrail, "kms:GenerateDataKey", key, **context).allowed
    assert not acct.can(cloudtrail, "kms:Decrypt", key, **context).allowed


# --- Prometheus and Grafana (off in the shipped stacks) -------------------------------------------


@pytest.fixture(scope="module")
def observability_plan(tmp_path_factory):
    from mladmin.engine import plan_stack

    edited = {"config": copy.deepcopy(config("dev"))}
    edited["config"]["mladmin:monitoring"].update(prometheus=True, grafana=True)
    path = tmp_path_factory.mktemp("observability") / "Pulumi.dev.yaml"
    path.write_text(yaml.safe_dump(edited))
    return plan_stack("dev", path, preview=False)


def test_prometheus_workspace_is_encrypted_and_logs_to_a_kept_encrypted_group(observability_plan):
    (workspace,) = observability_plan.of_type("aws:amp/workspace:Workspace")
    assert workspace.inputs["alias"] == "mladmin-dev-metrics"
    assert workspace.inputs["kmsKeyArn"].startswith("arn:aws:kms:")
    group = next(g for g in observability_plan.of_type(LOG_GROUP) if g.inputs["name"] == "/aws/prometheus/mladmin-dev")
    assert workspace.inputs["loggingConfiguration"]["logGroupArn"] == group.outputs["arn"] + ":*"
    assert group.inputs["kmsKeyId"] and group.inputs["retentionInDays"] == 14


def test_grafana_role_reads_metrics_and_this_environments_prometheus_only(observability_plan):
    acct = Account.from_plan(observability_plan)
    role = acct.role("mladmin-dev-grafana")
    workspace = "arn:aws:aps:us-east-1:123456789012:workspace/ws-0abc"
    assert acct.can(role, "cloudwatch:GetMetricData", "*").allowed
    assert acct.can(role, "aps:QueryMetrics", workspace, **{"aws:ResourceTag/Name": "mladmin-dev-metrics"}).allowed
    assert not acct.can(role, "aps:QueryMetrics", workspace, **{"aws:ResourceTag/Name": "mladmin-prod-metrics"}).allowed
    assert not acct.can(role, "aps:RemoteWrite", workspace, **{"aws:ResourceTag/Name": "mladmin-dev-metrics"}).allowed
    assert not acct.can(role, "s3:GetObject", "arn:aws:s3:::mladmin-dev-datasets-123456789012-us-east-1/x").allowed
    assert not acct.can(role, "cloudwatch:GetMetricData", "*", **{"aws:RequestedRegion": "eu-west-1"}).allowed


def test_only_grafana_of_this_account_assumes_the_grafana_role(observability_plan):
    acct = Account.from_plan(observability_plan)
    arn = acct.role_arn("mladmin-dev-grafana")
    grafana = Service("grafana.amazonaws.com")
    assert acct.can(grafana, "sts:AssumeRole", arn, **{"aws:SourceAccount": acct.account_id}).allowed
    assert not acct.can(grafana, "sts:AssumeRole", arn, **{"aws:SourceAccount": "999999999999"}).allowed
    (workspace,) = observability_plan.of_type("aws:grafana/workspace:Workspace")
    assert (workspace.inputs["permissionType"], workspace.inputs["roleArn"]) == ("CUSTOMER_MANAGED", arn)


def test_the_pack_finds_nothing_on_prometheus_and_grafana(observability_plan):
    from policies.runner import evaluate as run_pack

    report = run_pack(observability_plan)
    assert [f"{v.policy} {v.resource_name}: {v.message}" for v in report.violations] == []


# --- budgets ------------------------------------------------------------------------------------


def budgets(plan) -> dict[str, dict]:
    return {b.inputs["name"]: b.inputs for b in plan.of_type(BUDGET)}


def notified(budget: dict) -> list[tuple[str, float]]:
    return [(n["notificationType"], n["threshold"]) for n in budget["notifications"]]


@pytest.mark.parametrize("stack", STACKS)
def test_environment_budget_alerts_at_each_threshold_of_actual_spend(all_plans, stack):
    settings = config(stack)["mladmin:budgets"]
    budget = budgets(all_plans[stack])[f"{prefix(stack)}-monthly"]
    assert (budget["budgetType"], budget["timeUnit"], budget["limitUnit"]) == ("COST", "MONTHLY", "USD")
    assert float(budget["limitAmount"]) == settings["monthlyLimitUsd"]
    assert notified(budget) == [("ACTUAL", t) for t in sorted(settings["thresholdsPercent"])]
    assert budget["filterExpression"] == {"tags": {"key": "environment", "values": [stack], "matchOptions": ["EQUALS"]}}
    recipients = settings.get("notifyEmails") or config(stack)["mladmin:monitoring"]["alarmEmails"]
    for notification in budget["notifications"]:
        assert notification["subscriberEmailAddresses"] == recipients
        assert notification["subscriberSnsTopicArns"] == [topic_arn(stack)]


def test_forecast_alerts_get_their_own_budget_within_the_five_notification_quota(prod_plan):
    found = budgets(prod_plan)
    forecast = found["mladmin-prod-monthly-forecast"]
    assert notified(forecast) == [("FORECASTED", t) for t in (50.0, 80.0, 100.0, 120.0)]
    assert all(len(b["notifications"]) <= 5 for b in found.values())


@pytest.mark.parametrize("stack", STACKS)
def test_each_team_with_a_budget_gets_one_on_its_team_tag_in_this_environment(all_plans, stack):
    found = budgets(all_plans[stack])
    for team in config(stack)["mladmin:teams"]:
        budget = found[f"{prefix(stack)}-team-{team['name']}"]
        assert float(budget["limitAmount"]) == team["monthlyBudgetUsd"]
        assert budget["filterExpression"] == {"ands": [
            {"tags": {"key": "environment", "values": [stack], "matchOptions": ["EQUALS"]}},
            {"tags": {"key": "team", "values": [team["name"]], "matchOptions": ["EQUALS"]}}]}
        assert {tuple(n["subscriberEmailAddresses"]) for n in budget["notifications"]} == {(team["owner"],)}
        assert budget["tags"]["team"] == team["name"]


@pytest.mark.parametrize("stack", STACKS)
def test_budgets_are_created_after_the_topic_policy_that_lets_them_publish(all_plans, stack):
    (policy,) = all_plans[stack].of_type(TOPIC_POLICY)
    for budget in all_plans[stack].of_type(BUDGET):
        assert policy.urn in budget.dependencies, budget.name


@pytest.mark.parametrize("stack", STACKS)
def test_cost_allocation_tags_are_activated_and_kept_when_a_stack_goes(all_plans, stack):
    tags = all_plans[stack].of_type(COST_TAG)
    assert sorted(t.inputs["tagKey"] for t in tags) == ["cost-center", "environment", "owner", "team"]
    assert all(t.inputs["status"] == "Active" and t.retain_on_delete for t in tags)
    budget_urns = {b.urn for b in all_plans[stack].of_type(BUDGET)}
    assert budget_urns and all({t.urn for t in tags} <= set(all_plans[stack].by_urn(u).dependencies) for u in budget_urns)


# --- settings -----------------------------------------------------------------------------------


def settings_problems(stack: str, **monitoring) -> list[str]:
    from stacks.settings import SettingsError, load_settings

    edited = copy.deepcopy(config(stack))
    edited["mladmin:monitoring"].update(monitoring)
    with pytest.raises(SettingsError) as raised:
        load_settings(edited, source=f"stacks/Pulumi.{stack}.yaml", stack=stack)
    return raised.value.problems


def test_prod_refuses_to_turn_cloudtrail_off():
    assert settings_problems("prod", cloudtrail=False) == [
        "stacks/Pulumi.prod.yaml: mladmin:monitoring.cloudtrail: false is not allowed in prod "
        "(expected true: prod records every API call)"]


def test_gpu_idle_threshold_must_stay_below_saturation():
    assert settings_problems("dev", alarms={"gpuIdlePercent": 96}) == [
        "stacks/Pulumi.dev.yaml: mladmin:monitoring.alarms.gpuIdlePercent: 96 is not below gpuSaturatedPercent 95"]


def test_an_unknown_alarm_setting_is_refused():
    (problem,) = settings_problems("dev", alarms={"latencyP95Ms": 100})
    assert problem.startswith("stacks/Pulumi.dev.yaml: mladmin:monitoring.alarms.latencyP95Ms: unknown key")


# --- what the cluster component wires (the cluster is another branch's) --------------------------


def test_container_insights_addon_is_the_cloudwatch_observability_addon_on_the_cluster():
    import pulumi

    from components.monitoring import container_insights_addon
    from components.tags import Tags
    from tests.policies.builders import planned

    tags = Tags(owner="ml-platform", environment="dev", team="platform", cost_center="cc-1")
    (addon,) = [r for r in planned(lambda: container_insights_addon(
        pulumi.ComponentResource("test:index:Cluster", "cluster"), "cluster", "mladmin-dev-eks", tags=tags))
        if r.type == "aws:eks/addon:Addon"]
    assert (addon.inputs["addonName"], addon.inputs["clusterName"]) == ("amazon-cloudwatch-observability", "mladmin-dev-eks")


def test_dcgm_scraper_keeps_only_the_dcgm_exporter_endpoints_into_the_workspace():
    import pulumi

    from components.prometheus import dcgm_scraper
    from components.tags import Tags
    from tests.policies.builders import planned

    tags = Tags(owner="ml-platform", environment="dev", team="platform", cost_center="cc-1")
    workspace = "arn:aws:aps:us-east-1:123456789012:workspace/ws-0abc"
    (scraper,) = [r for r in planned(lambda: dcgm_scraper(
        pulumi.ComponentResource("test:index:Cluster", "cluster"), "cluster", workspace_arn=workspace,
        cluster_arn="arn:aws:eks:us-east-1:123456789012:cluster/mladmin-dev-eks", subnet_ids=["subnet-a", "subnet-b"],
        security_group_ids=["sg-0abc"], tags=tags, alias="mladmin-dev-dcgm")) if r.type == "aws:amp/scraper:Scraper"]
    assert scraper.inputs["destination"]["amp"]["workspaceArn"] == workspace
    (job,) = yaml.safe_load(scraper.inputs["scrapeConfiguration"])["scrape_configs"]
    (keep,) = [rule for rule in job["relabel_configs"] if rule.get("action") == "keep"]
    assert all(re.fullmatch(keep["regex"], s) for s in ("nvidia-dcgm-exporter", "dcgm-exporter-service"))
    assert not re.fullmatch(keep["regex"], "kube-dns")


# --- the pack watches what was added --------------------------------------------------------------

WATCHING = ("log-group-retention", "log-group-kms", "alarm-has-actions", "sns-topic-encrypted",
            "sns-topic-policy-not-public", "cloudtrail-multi-region", "cloudtrail-log-validation", "cloudtrail-kms",
            "budget-notifies", "s3-bucket-policy-not-public", "kms-key-policy-no-wildcard-principal")


def test_the_observability_policies_run_over_prod_in_preview_and_find_nothing(prod_preview_plan):
    from policies.runner import evaluate as run_pack

    report = run_pack(prod_preview_plan)
    idle = {n.policy for n in report.not_run} | {n.policy for n in report.not_applicable}
    assert idle.isdisjoint(WATCHING), idle & set(WATCHING)
    assert [v for v in report.violations if v.policy in WATCHING] == []
