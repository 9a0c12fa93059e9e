"""`mladmin model register / packages / promote / rollback`: the SageMaker model registry of a stack.

Exit 0 ok · 1 the package's release gate failed (promote) · 2 bad input, missing outputs or
credentials, or a refused AWS call.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from mladmin.cli import output
from mladmin.cli.common import CONFIG_HELP, STACK_HELP
from mladmin.cli.helpformat import Command
from mladmin.cli.launch import FROM_PLAN_HELP, OUTPUTS_HELP, command_errors, print_json, stack_outputs


def _context(stack: str, config: Path | None, outputs_file: Path | None, from_plan: bool):
    from mladmin.sagemaker.aws import Aws
    from mladmin.sagemaker.stack import load_stack

    target = load_stack(stack, config)
    outputs = stack_outputs(target, outputs_file, from_plan)
    return target, outputs, Aws(target.settings.region)


def add_registry_commands(model_app: typer.Typer) -> None:
    @model_app.command("register", cls=Command)
    def register(
        stack: str = typer.Argument(..., metavar="STACK", help=STACK_HELP),
        model: str = typer.Argument(..., metavar="MODEL", help="Model family: an endpoints[*].model of the stack (its package group)."),
        directory: Path = typer.Argument(..., metavar="DIR", help="The trained model (the trainer's final/)."),
        report: Path = typer.Option(..., "--report", help="The `mladmin eval` JSON report of DIR."),
        image_tag: Optional[str] = typer.Option(None, "--image-tag", help="Tag or sha256 digest of the serving image "
                                                "to run it. Default: the imageTag of the endpoint serving MODEL."),
        config: Optional[Path] = typer.Option(None, "--config", "-c", help=CONFIG_HELP),
        outputs_file: Optional[Path] = typer.Option(None, "--outputs", help=OUTPUTS_HELP),
        from_plan: bool = typer.Option(False, "--from-plan", help=FROM_PLAN_HELP),
        as_json: bool = typer.Option(False, "--json", help="Print the new package as JSON."),
    ) -> None:
        """Pack DIR as model.tar.gz, upload it with its report, and register it (PendingManualApproval)."""
        from mladmin.sagemaker import registry

        with command_errors():
            if not directory.is_dir():
                from mladmin.sagemaker.errors import SageMakerCommandError
                raise SageMakerCommandError(f"{directory}: not a directory (expected the trainer's final/)")
            target, outputs, aws = _context(stack, config, outputs_file, from_plan)
            done = registry.register(aws, target.settings, outputs, model=model, directory=directory,
                                     report_path=report, image_tag=image_tag, source=target.source)
        if as_json:
            print_json(asdict(done))
            return
        output.line(f"registered {escape(model)} version {done.version}: {escape(done.arn)}")
        output.line(f"  model: {escape(done.model_data_url)}")
        output.line(f"  report: {escape(done.report_url)} (release gate {done.gate})")
        output.line(f"  status {registry.PENDING}; next: mladmin model promote {stack} ENDPOINT {done.version}")

    @model_app.command("packages", cls=Command)
    def packages(
        stack: str = typer.Argument(..., metavar="STACK", help=STACK_HELP),
        model: str = typer.Argument(..., metavar="MODEL", help="Model family: an endpoints[*].model of the stack."),
        config: Optional[Path] = typer.Option(None, "--config", "-c", help=CONFIG_HELP),
        outputs_file: Optional[Path] = typer.Option(None, "--outputs", help=OUTPUTS_HELP),
        from_plan: bool = typer.Option(False, "--from-plan", help=FROM_PLAN_HELP),
        as_json: bool = typer.Option(False, "--json", help="Print the packages as JSON."),
    ) -> None:
        """List the versions in a model's package group with their approval status."""
        from mladmin.sagemaker import registry

        with command_errors():
            target, outputs, aws = _context(stack, config, outputs_file, from_plan)
            registry.endpoint_for_model(target.settings, model, target.source)
            group = outputs.get("modelPackageGroups", model)
            found = registry.packages(aws, group)
        if as_json:
            print_json(found)
            return
        output.table(f"model packages of {group}", [output.Column("version", "right"), output.Column("status"),
                                                    output.Column("created"), output.Column("arn")],
                     [[str(p.get("ModelPackageVersion")), p.get("ModelApprovalStatus", ""),
                       str(p.get("CreationTime", ""))[:19], escape(p["ModelPackageArn"])] for p in found])

    @model_app.command("promote", cls=Command)
    def promote(
        stack: str = typer.Argument(..., metavar="STACK", help=STACK_HELP),
        endpoint: str = typer.Argument(..., metavar="ENDPOINT", help="An endpoint name under mladmin:sagemaker.endpoints."),
        package: str = typer.Argument(..., metavar="PACKAGE", help="Package version in the endpoint model's group, or its ARN."),
        config: Optional[Path] = typer.Option(None, "--config", "-c", help=CONFIG_HELP),
        outputs_file: Optional[Path] = typer.Option(None, "--outputs", help=OUTPUTS_HELP),
        from_plan: bool = typer.Option(False, "--from-plan", help=FROM_PLAN_HELP),
        as_json: bool = typer.Option(False, "--json", help="Print the rollout as JSON."),
    ) -> None:
        """Approve a package whose release gate passed and roll the endpoint onto it (blue/green).

        Exit 1, naming the failing metric, when the package's evaluation report failed its gate."""
        from mladmin.sagemaker import rollout

        with command_errors():
            target, outputs, aws = _context(stack, config, outputs_file, from_plan)
            where = rollout.target(target.settings, outputs, endpoint, target.source)
            done = rollout.promote(aws, where, package)
        if as_json:
            print_json(asdict(done))
            return
        output.line(f"approved {escape(done.package_arn)}")
        output.line(f"updating endpoint {escape(done.endpoint_name)}: {escape(done.previous_config_name)} -> "
                    f"{escape(done.endpoint_config_name)} (its deployment config shifts the traffic and rolls "
                    "back on its alarms)")

    @model_app.command("rollback", cls=Command)
    def rollback(
        stack: str = typer.Argument(..., metavar="STACK", help=STACK_HELP),
        endpoint: str = typer.Argument(..., metavar="ENDPOINT", help="An endpoint name under mladmin:sagemaker.endpoints."),
        config: Optional[Path] = typer.Option(None, "--config", "-c", help=CONFIG_HELP),
        outputs_file: Optional[Path] = typer.Option(None, "--outputs", help=OUTPUTS_HELP),
        from_plan: bool = typer.Option(False, "--from-plan", help=FROM_PLAN_HELP),
        as_json: bool = typer.Option(False, "--json", help="Print the rollout as JSON."),
    ) -> None:
        """Return the endpoint to the previously approved package; the live one becomes Rejected."""
        from mladmin.sagemaker import rollout

        with command_errors():
            target, outputs, aws = _context(stack, config, outputs_file, from_plan)
            where = rollout.target(target.settings, outputs, endpoint, target.source)
            done, rejected = rollout.rollback(aws, where)
        if as_json:
            print_json({**asdict(done), "rejected": rejected})
            return
        output.line(f"rolling {escape(done.endpoint_name)} back to {escape(done.package_arn)} "
                    f"(config {escape(done.endpoint_config_name)})")
        output.line(f"rejected {escape(rejected)}")
