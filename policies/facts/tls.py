"""TLS policies the platform accepts on load-balancer listeners (one allowlist, read by lb-tls-policy)."""

from __future__ import annotations

# Elastic Load Balancing predefined security policies that negotiate TLS 1.2 or later with forward-secret
# ciphers only. Source: Elastic Load Balancing User Guide, "Security policies for your Application Load
# Balancer" / "... Network Load Balancer" (policy tables), recorded 2026-12 (not re-fetched here: no
# internet). ELBSecurityPolicy-TLS13-1-2-2021-06 is AWS's recommended policy; the -Ext, 2016-08 and TLS-1-0/1-1
# policies allow TLS 1.0/1.1 or CBC ciphers and are left out.
MODERN_TLS_POLICIES: tuple[str, ...] = (
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-2-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-3-PQ-2025-09",
    "ELBSecurityPolicy-FS-1-2-Res-2020-10",
    "ELBSecurityPolicy-FS-1-2-Res-2019-08",
)

# OpenSearch/Elasticsearch domain endpoint TLS policies that require TLS 1.2 or later (OpenSearch
# Developer Guide, domain endpoint options, recorded 2026-12).
OPENSEARCH_TLS_POLICIES: tuple[str, ...] = ("Policy-Min-TLS-1-2-2019-07", "Policy-Min-TLS-1-2-PFS-2023-10")
