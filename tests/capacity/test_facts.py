"""Accelerator facts cover every accelerated type the settings allow, and each row says where it comes from."""

from __future__ import annotations

from typing import get_args

from policies.facts.environments import GPU_INSTANCE_TYPES_ALLOWED, SAGEMAKER_DEFAULT_INSTANCE_TYPES
from policies.facts.instance_types import (ACCELERATOR_SPECS, ALL_REDUCE_LATENCY, FAMILIES, Interconnect,
                                           accelerator_spec, family_of)
from policies.facts.prices import instance_hourly

ALLOWED = sorted({t for types in GPU_INSTANCE_TYPES_ALLOWED.values() for t in types} | set(SAGEMAKER_DEFAULT_INSTANCE_TYPES))
ALLOWED_ACCELERATED = [t for t in ALLOWED if (f := family_of(t)) is not None and f.accelerator is not None]


def test_every_accelerated_type_the_settings_allow_has_accelerator_facts():
    kinds = {family_of(t).accelerator for t in ALLOWED_ACCELERATED}
    assert kinds == {"nvidia", "neuron"}, "the allowlists name NVIDIA and Neuron types, EC2 and ml."
    assert [t for t in ALLOWED_ACCELERATED if accelerator_spec(t) is None] == []


def test_every_accelerated_family_has_one_row_and_no_row_names_another_family():
    accelerated = {name for name, family in FAMILIES.items() if family.accelerator is not None}
    assert set(ACCELERATOR_SPECS) == accelerated


def test_nvidia_rows_are_from_memory_and_neuron_rows_cite_the_neuron_architecture_pages():
    for name, spec in ACCELERATOR_SPECS.items():
        if FAMILIES[name].accelerator == "nvidia":
            assert spec.source.startswith("from memory of"), name
        else:
            assert spec.source.startswith("awsdocs-neuron.readthedocs-hosted.com "), name


def test_every_row_names_a_plausible_interconnect():
    for name, spec in ACCELERATOR_SPECS.items():
        assert spec.memory_bandwidth_gbs > 0 and spec.interconnect_gbs > 0, name
        assert (spec.interconnect == "NeuronLink") == (FAMILIES[name].accelerator == "neuron"), name
        if spec.interconnect != "NeuronLink":
            assert (spec.interconnect == "NVLink") == (spec.interconnect_gbs >= 300), name


def test_neuron_devices_hold_two_neuroncores_and_trainium2_eight():
    cores = {name: spec.cores_per_device for name, spec in ACCELERATOR_SPECS.items()
             if FAMILIES[name].accelerator == "neuron"}
    assert cores == {"trn1": 2, "trn1n": 2, "inf2": 2, "trn2": 8}
    assert {spec.cores_per_device for name, spec in ACCELERATOR_SPECS.items()
            if FAMILIES[name].accelerator == "nvidia"} == {1}


def test_neuron_figures_are_the_neuron_documentations():
    assert (accelerator_spec("inf2.48xlarge").memory_bandwidth_gbs, accelerator_spec("inf2.48xlarge").interconnect_gbs) \
        == (820, 192)
    assert accelerator_spec("trn1.32xlarge").interconnect_gbs == 384
    assert accelerator_spec("trn1n.32xlarge").interconnect_gbs == 768
    assert (accelerator_spec("trn2.48xlarge").memory_bandwidth_gbs, accelerator_spec("trn2.48xlarge").interconnect_gbs) \
        == (2900, 1280)


def test_every_interconnect_has_an_all_reduce_latency_marked_as_an_assumption():
    assert set(ALL_REDUCE_LATENCY) == set(get_args(Interconnect))
    for kind, latency in ALL_REDUCE_LATENCY.items():
        assert latency.microseconds > 0 and latency.source.startswith("assumption: "), kind
    assert ALL_REDUCE_LATENCY["PCIe"].microseconds > ALL_REDUCE_LATENCY["NVLink"].microseconds


def test_hbm_devices_read_memory_faster_than_gddr_gpus():
    assert accelerator_spec("p5.48xlarge").memory_bandwidth_gbs > accelerator_spec("p4de.24xlarge").memory_bandwidth_gbs \
        > accelerator_spec("g6e.48xlarge").memory_bandwidth_gbs > accelerator_spec("g5.48xlarge").memory_bandwidth_gbs
    assert accelerator_spec("inf2.xlarge").memory_bandwidth_gbs > accelerator_spec("g5.xlarge").memory_bandwidth_gbs


def test_sagemaker_types_have_the_facts_of_their_ec2_type():
    assert accelerator_spec("ml.p5.48xlarge") == accelerator_spec("p5.48xlarge") is not None
    assert accelerator_spec("ml.inf2.xlarge") == accelerator_spec("inf2.xlarge") is not None


def test_cpu_and_unlisted_types_have_no_accelerator_facts():
    assert accelerator_spec("m5.xlarge") is None and accelerator_spec("g5.3xlarge") is None
    assert accelerator_spec("inf2.4xlarge") is None


def test_every_accelerated_type_the_settings_allow_has_a_price():
    assert [t for t in ALLOWED_ACCELERATED if instance_hourly(t) is None] == []
