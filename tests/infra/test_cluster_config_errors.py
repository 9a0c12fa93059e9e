"""Bad cluster config (the keys the Cluster component consumes): one line naming the key, the value
and what was expected."""

from __future__ import annotations

from tests.infra.test_config_errors import cluster, problems

SOURCE = "stacks/Pulumi.prod.yaml: mladmin:cluster"


def test_a_capacity_block_pool_without_its_reservation():
    def edit(config):
        cluster(config)["nodeGroups"][2]["capacityType"] = "CAPACITY_BLOCK"

    assert problems("prod", edit) == [
        f"{SOURCE}.nodeGroups[2].capacityReservationId: missing while capacityType is CAPACITY_BLOCK "
        "(expected the Capacity Block's cr-... id)"
    ]


def test_a_malformed_capacity_reservation_id():
    def edit(config):
        cluster(config)["nodeGroups"][2]["capacityReservationId"] = "reservation-1"

    assert problems("prod", edit) == [
        f"{SOURCE}.nodeGroups[2].capacityReservationId: 'reservation-1' is not a capacity reservation id "
        "(expected cr- and 8 or 17 hex digits)"
    ]


def test_a_spot_pool_cannot_use_a_reservation():
    def edit(config):
        cluster(config)["nodeGroups"][3]["capacityReservationId"] = "cr-0123456789abcdef0"

    assert problems("prod", edit) == [
        f"{SOURCE}.nodeGroups[3].capacityReservationId: 'cr-0123456789abcdef0' cannot be used by a SPOT pool "
        "(expected ON_DEMAND or CAPACITY_BLOCK)"
    ]


def test_a_pool_pinned_to_a_zone_the_network_does_not_have():
    def edit(config):
        cluster(config)["nodeGroups"][2]["availabilityZone"] = "us-east-1d"

    assert problems("prod", edit) == [
        f"{SOURCE}.nodeGroups[2].availabilityZone: 'us-east-1d' is not one of mladmin:network.availabilityZones "
        "(expected one of us-east-1a, us-east-1b, us-east-1c)"
    ]


def test_prod_system_nodes_cannot_be_pinned_to_one_zone():
    def edit(config):
        cluster(config)["systemNodes"]["availabilityZone"] = "us-east-1a"

    assert problems("prod", edit) == [
        f"{SOURCE}.systemNodes.availabilityZone: 'us-east-1a' is not allowed in prod (system nodes span every zone)"
    ]


def test_a_pool_mixing_efa_layouts():
    def edit(config):
        cluster(config)["nodeGroups"][2]["instanceTypes"] = ["p4d.24xlarge", "p5.48xlarge"]
        config["mladmin:policy"] = {"parameters": {"gpu-instance-type-allowlist": {"allowedInstanceTypes": [
            "g5.2xlarge", "p4d.24xlarge", "p5.48xlarge", "g6e.12xlarge", "g6e.24xlarge",
            "ml.g5.xlarge", "ml.g5.2xlarge", "ml.g5.12xlarge"]}, "gpu-budget": {"maxGpus": 1000}}}

    assert problems("prod", edit) == [
        f'{SOURCE}.nodeGroups[2].instanceTypes: ["p4d.24xlarge", "p5.48xlarge"] mixes EFA network layouts '
        "(expected types with the same EFA interface count, e.g. only p4d.24xlarge or only p5.48xlarge)"
    ]


def test_an_fsx_capacity_lustre_does_not_offer():
    def edit(config):
        cluster(config)["fsx"] = {"storageCapacityGib": 2000}

    assert problems("prod", edit) == [
        f"{SOURCE}.fsx.storageCapacityGib: 2000 is not a PERSISTENT_2 capacity (expected 1200 or a multiple of 2400 GiB)"
    ]


def test_an_unknown_fsx_key():
    def edit(config):
        cluster(config)["fsx"] = {"enable": True}

    (line,) = problems("dev", edit)
    assert line.startswith("stacks/Pulumi.dev.yaml: mladmin:cluster.fsx.enable: unknown key")
