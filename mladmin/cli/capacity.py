"""`mladmin capacity MODEL`: which accelerated instance (NVIDIA GPUs or AWS Neuron devices) serves a model, how
many, and the $ per million output tokens (formulas: mladmin/capacity/__init__.py).

``--json`` prints one object:

    {"model": {"name", "parameters", "layers", "kv_heads", "head_dim", "max_positions", "source"},
     "request": {"dtype", "kv_dtype", "context", "output_tokens", "concurrency", "rps", "measured_tps",
                 "tensor_parallel"},
     "memory": {"weights_gib", "kv_bytes_per_token", "kv_gib_per_sequence", "runtime_overhead"},
     "candidates": [{"instance_type", "accelerator", "devices", "device_memory_gib", "interconnect", "fits",
                     "shortfall_gib", "tensor_parallel", "tensor_parallel_ranks", "replicas", "max_concurrency",
                     "concurrency_per_instance", "tokens_per_second", "communication_ms", "throughput_basis",
                     "instances", "usd_per_hour", "usd_per_hour_total", "usd_per_million_tokens",
                     "gpu", "gpus", "gpu_memory_gib"}, ...],  # the last three: the first release's names
                                                                        # sorted as the table
     "recommendation": "one line"}

Values that do not apply (a type the model does not fit) are null. ``tensor_parallel`` counts devices per replica;
``tensor_parallel_ranks`` what the server's degree counts (GPUs, or NeuronCores on Neuron: devices × cores per
device). ``communication_ms`` is the all-reduce share of one decode step (null with ``--measured-tps``).
"""

from __future__ import annotations

import json
from typing import List, Optional

import typer
from rich.markup import escape

from mladmin.cli import output
from mladmin.cli.common import EXIT_OK, fail
from mladmin.cli.helpformat import Command


def _count(parameters: int) -> str:
    return f"{parameters / 1e9:,.2f}B" if parameters >= 1e9 else f"{parameters / 1e6:,.2f}M"


def _usd(value: float) -> str:
    return f"{value:,.2f}" if value >= 0.01 else f"{value:.2g}"


def register(app: typer.Typer) -> None:
    @app.command("capacity", cls=Command)
    def capacity_command(
        model: str = typer.Argument(..., metavar="MODEL",
                                    help="A catalogue model (e.g. llama-3.1-70b) or a local Hugging Face directory."),
        dtype: str = typer.Option("bf16", "--dtype", help="Weight precision: bf16, fp8, int8 or int4."),
        kv_dtype: str = typer.Option("bf16", "--kv-dtype", help="KV-cache precision: bf16, fp8 or int8."),
        context: int = typer.Option(4096, "--context", help="Tokens each sequence holds (prompt + output)."),
        output_tokens: Optional[int] = typer.Option(None, "--output-tokens", help="Output tokens per request (for "
                                                     "--rps). Default: 256, at most --context."),
        concurrency: Optional[int] = typer.Option(None, "--concurrency", help="Concurrent sequences to serve."),
        rps: Optional[float] = typer.Option(None, "--rps", help="Requests per second to serve (instead of "
                                            "--concurrency)."),
        instance_types: Optional[List[str]] = typer.Option(
            None, "--instance-types", help="Candidate types (repeat or comma-separate). Default: the accelerated "
            "types (GPU or Neuron) any environment allows that have a price."),
        measured_tps: Optional[float] = typer.Option(
            None, "--measured-tps", help="Measured output tokens/s of one instance (e.g. the serve benchmark's); "
            "replaces the roofline estimate."),
        tensor_parallel: Optional[int] = typer.Option(
            None, "--tensor-parallel", help="Devices per replica (a Kubernetes server's gpus), instead of the "
            "cheapest split of each instance."),
        as_json: bool = typer.Option(False, "--json", help="Print the estimate as JSON."),
    ) -> None:
        """Size GPU and Neuron instances to serve a model: fit, tensor parallelism, throughput, $ per million tokens."""
        from mladmin.capacity.estimate import (GIB, RUNTIME_OVERHEAD, CapacityError, Request, estimate,
                                               kv_bytes_per_token, recommendation, weight_bytes)
        from mladmin.capacity.models import ModelError, resolve

        types = [t.strip() for value in instance_types or [] for t in value.split(",") if t.strip()] or None
        output_tokens = min(256, context) if output_tokens is None else output_tokens
        request = Request(dtype, kv_dtype, context, output_tokens, concurrency, rps, measured_tps)
        try:
            arch = resolve(model)
            rows = estimate(arch, request, types, tensor_parallel)
        except (ModelError, CapacityError) as error:
            fail(str(error))
        advice = recommendation(arch, rows)
        kv_token = kv_bytes_per_token(arch, kv_dtype)
        if as_json:
            document = {
                "model": {"name": arch.name, "parameters": arch.parameters, "layers": arch.layers,
                          "kv_heads": arch.kv_heads, "head_dim": arch.head_dim, "max_positions": arch.max_positions,
                          "source": arch.source},
                "request": {"dtype": dtype, "kv_dtype": kv_dtype, "context": context, "output_tokens": output_tokens,
                            "concurrency": concurrency, "rps": rps, "measured_tps": measured_tps,
                            "tensor_parallel": tensor_parallel},
                "memory": {"weights_gib": round(weight_bytes(arch, dtype) / GIB, 3), "kv_bytes_per_token": kv_token,
                           "kv_gib_per_sequence": round(kv_token * context / GIB, 4),
                           "runtime_overhead": RUNTIME_OVERHEAD},
                "candidates": [row.to_json() for row in rows],
                "recommendation": advice,
            }
            typer.echo(json.dumps(document, indent=2))
            raise typer.Exit(EXIT_OK)
        load = (f"{concurrency} concurrent sequences" if concurrency else f"{rps:g} requests/s × {output_tokens} "
                "output tokens" if rps else "each instance at its largest concurrency")
        output.line(f"{escape(arch.name)}: {_count(arch.parameters)} parameters, {dtype} weights "
                    f"{weight_bytes(arch, dtype) / GIB:,.1f} GiB; KV cache {kv_token:,.0f} bytes/token ({kv_dtype}), "
                    f"{kv_token * context / GIB:,.2f} GiB per {context:,}-token sequence; load: {load}; "
                    f"{RUNTIME_OVERHEAD:.0%} of device memory held back for the runtime")
        basis = "measured" if measured_tps else "roofline upper bound"
        columns = [output.Column("instance"), output.Column("accelerators"), output.Column("fits"),
                   output.Column("TP", "right"), output.Column("max conc", "right"), output.Column("tok/s", "right"),
                   output.Column("n", "right"), output.Column("$/h", "right"), output.Column("$/M tok", "right")]
        table_rows = []
        for row in rows:
            name = row.accelerator.removeprefix("NVIDIA ").removeprefix("AWS ")
            link = f" {row.interconnect}" if row.devices > 1 else ""  # one device has nothing to link
            devices = f"{row.devices}x {name} {row.device_memory_gib:.4g}G{link}"
            if not row.fits:
                table_rows.append([escape(row.instance_type), devices, f"no, {row.shortfall_gib:,.1f} GiB short", "-",
                                   "0", "-", "-", f"{row.usd_per_hour:,.2f}", "-"])
                continue
            degree = str(row.tensor_parallel) if row.interconnect != "NeuronLink" else \
                f"{row.tensor_parallel} ({row.tensor_parallel_ranks} cores)"
            table_rows.append([escape(row.instance_type), devices, "yes", degree,
                               f"{row.max_concurrency:,}", f"{row.tokens_per_second:,.0f}", str(row.instances),
                               f"{row.usd_per_hour_total:,.2f}", _usd(row.usd_per_million_tokens)])
        output.table(f"Capacity for {escape(arch.name)} at {context:,} tokens (tok/s per instance: {basis})",
                     columns, table_rows)
        output.line(f"recommended: {escape(advice)}")
        raise typer.Exit(EXIT_OK)
