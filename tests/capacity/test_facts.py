"""Accelerator facts cover every GPU type the settings allow, and each row says where it comes from."""

from __future__ import annotations

from policies.facts.environments import GPU_INSTANCE_TYPES_ALLOWED, SAGEMAKER_DEFAULT_INSTANCE_TYPES
from policies.facts.instance_types import FAMILIES, GPU_SPECS, family_of, gpu_spec
from policies.facts.prices import instance_hourly

ALLOWED = sorted({t for types in GPU_INSTANCE_TYPES_ALLOWED.values() for t in types} | set(SAGEMAKER_DEFAULT_INSTANCE_TYPES))
ALLOWED_NVIDIA = [t for t in ALLOWED if (f := family_of(t)) is not None and f.accelerator == "nvidia"]


def test_every_gpu_type_the_settings_allow_has_accelerator_facts():
    assert ALLOWED_NVIDIA, "the allowlists name NVIDIA types"
    assert [t for t in ALLOWED_NVIDIA if gpu_spec(t) is None] == []


def test_every_nvidia_family_has_one_gpu_row_and_no_row_names_another_family():
    nvidia = {name for name, family in FAMILIES.items() if family.accelerator == "nvidia"}
    assert set(GPU_SPECS) == nvidia


def test_every_gpu_row_names_its_source_and_a_plausible_interconnect():
    for name, spec in GPU_SPECS.items():
        assert spec.source.startswith("from memory of"), name
        assert spec.memory_bandwidth_gbs > 0 and spec.interconnect_gbs > 0, name
        assert (spec.interconnect == "NVLink") == (spec.interconnect_gbs >= 300), name


def test_hbm_gpus_read_memory_faster_than_gddr_gpus():
    assert gpu_spec("p5.48xlarge").memory_bandwidth_gbs > gpu_spec("p4de.24xlarge").memory_bandwidth_gbs \
        > gpu_spec("g6e.48xlarge").memory_bandwidth_gbs > gpu_spec("g5.48xlarge").memory_bandwidth_gbs


def test_sagemaker_types_have_the_facts_of_their_ec2_type():
    assert gpu_spec("ml.p5.48xlarge") == gpu_spec("p5.48xlarge") is not None


def test_cpu_neuron_and_unlisted_types_have_no_gpu_facts():
    assert gpu_spec("m5.xlarge") is None and gpu_spec("inf2.xlarge") is None and gpu_spec("g5.3xlarge") is None


def test_every_gpu_type_the_settings_allow_has_a_price():
    assert [t for t in ALLOWED_NVIDIA if instance_hourly(t) is None] == []
