"""Scraping the cluster's NVIDIA DCGM exporter into the environment's Prometheus workspace.

An AWS managed scraper (``aws.amp.Scraper``) runs in the cluster's subnets and reads the
``DCGM_FI_DEV_*`` series (DCGM_FI_DEV_GPU_UTIL, DCGM_FI_DEV_FB_USED, ...) from the exporter's service
(the GPU Operator's ``nvidia-dcgm-exporter``, or the CloudWatch add-on's ``dcgm-exporter-service``).
For the cluster component to call once the cluster exists; the scraper's role also needs read access
to the Kubernetes API (an EKS access entry, AWS's "Configuring your Amazon EKS cluster" for scrapers).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from components.tags import Tags, child_opts

DCGM_SERVICES = r"(nvidia-)?dcgm-exporter(-service)?"


def dcgm_scrape_configuration(interval_seconds: int = 30) -> str:
    """Prometheus scrape configuration (YAML; JSON is YAML): the DCGM exporter's endpoints."""
    return json.dumps({
        "global": {"scrape_interval": f"{interval_seconds}s"},
        "scrape_configs": [{
            "job_name": "dcgm-exporter",
            "kubernetes_sd_configs": [{"role": "endpoints"}],
            "relabel_configs": [
                {"source_labels": ["__meta_kubernetes_service_name"], "regex": DCGM_SERVICES, "action": "keep"},
                {"source_labels": ["__meta_kubernetes_pod_node_name"], "target_label": "node"},
            ],
        }],
    }, indent=2)


def dcgm_scraper(
    owner: pulumi.Resource, name: str, *, workspace_arn: pulumi.Input[str], cluster_arn: pulumi.Input[str],
    subnet_ids: Sequence[pulumi.Input[str]], security_group_ids: Sequence[pulumi.Input[str]], tags: Tags,
    alias: str,
) -> aws.amp.Scraper:
    return aws.amp.Scraper(
        f"{name}-dcgm-scraper",
        alias=alias,
        source={"eks": {"cluster_arn": cluster_arn, "subnet_ids": list(subnet_ids),
                        "security_group_ids": list(security_group_ids)}},
        destination={"amp": {"workspace_arn": workspace_arn}},
        scrape_configuration=dcgm_scrape_configuration(),
        tags=tags.merged({"Name": alias}),
        opts=child_opts(owner),
    )
