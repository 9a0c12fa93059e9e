"""`mladmin launch`: SageMaker training jobs described under mladmin:sagemaker.trainingJobs.

`launch train STACK JOB` submits one run, `launch status STACK [NAME]` lists or describes runs,
`launch stop STACK NAME` stops one, `launch fetch STACK NAME DIR` downloads a finished run's model. Exit 0 ok · 2 bad input, missing outputs or credentials, or a
refused AWS call (one line, no traceback).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

import typer
from rich.markup import escape

from mladmin.cli import output
from mladmin.cli.common import CONFIG_HELP, STACK_HELP, console, fail
from mladmin.cli.helpformat import Command, Group

OUTPUTS_HELP = "Read the stack's outputs from this file (`pulumi stack output --json` saved) instead of asking Pulumi."
FROM_PLAN_HELP = ("Take the stack's outputs from the offline plan (as after `pulumi up`, placeholder ids): for "
                  "dry runs and emulators, when the Pulumi CLI is not at hand.")


@contextmanager
def command_errors() -> Iterator[None]:
    """SageMakerCommandError → its lines and exit 2; GateFailed → its lines and exit 1."""
    from mladmin.sagemaker.errors import GateFailed, SageMakerCommandError

    try:
        yield
    except SageMakerCommandError as exc:
        fail(str(exc))
    except GateFailed as exc:
        fail(str(exc), code=1)


def stack_outputs(stack, outputs_file: Path | None, from_plan: bool):
    from mladmin.sagemaker.errors import SageMakerCommandError
    from mladmin.sagemaker.outputs import load_outputs

    if outputs_file is not None and from_plan:
        raise SageMakerCommandError("--outputs and --from-plan both name where the outputs come from: pass one")
    return load_outputs(stack.name, outputs_file=outputs_file, from_plan=from_plan, config_file=stack.config_file)


def print_json(value: Any) -> None:
    """Coloured at a terminal; plain, whole JSON in a pipe."""
    if output.interactive():
        console.print_json(json.dumps(value, default=str))
    else:
        typer.echo(json.dumps(value, indent=2, default=str))


def register(app: typer.Typer) -> None:
    launch_app = typer.Typer(cls=Group, no_args_is_help=True,
                             help="Run the stack's SageMaker training jobs (mladmin:sagemaker.trainingJobs).")

    @launch_app.command("train", cls=Command)
    def train(
        stack: str = typer.Argument(..., metavar="STACK", help=STACK_HELP),
        job: str = typer.Argument(..., metavar="JOB", help="A job name under mladmin:sagemaker.trainingJobs."),
        config: Optional[Path] = typer.Option(None, "--config", "-c", help=CONFIG_HELP),
        outputs_file: Optional[Path] = typer.Option(None, "--outputs", help=OUTPUTS_HELP),
        from_plan: bool = typer.Option(False, "--from-plan", help=FROM_PLAN_HELP),
        dry_run: bool = typer.Option(False, "--dry-run", help="Print the CreateTrainingJob request; submit nothing."),
        as_json: bool = typer.Option(False, "--json", help="Print the request and the job's ARN as JSON."),
    ) -> None:
        """Submit one run of a training job: image, role, VPC, KMS keys, spot and hyperparameters from the stack."""
        from mladmin.sagemaker import training
        from mladmin.sagemaker.aws import Aws
        from mladmin.sagemaker.stack import load_stack

        with command_errors():
            target = load_stack(stack, config)
            index, settings_job = training.find_job(target.settings, job, target.source)
            outputs = stack_outputs(target, outputs_file, from_plan)
            where = f"{target.source}: mladmin:sagemaker.trainingJobs[{index}]"
            request = training.training_request(target.settings, settings_job, outputs,
                                                now=datetime.now(timezone.utc), where=where)
            if dry_run:  # the request is the whole answer, as JSON either way
                print_json(request)
                return
            arn = training.submit(Aws(target.settings.region), request)
        if as_json:
            print_json({"TrainingJobArn": arn, "request": request})
            return
        resources = request["ResourceConfig"]
        output.line(f"submitted training job {escape(request['TrainingJobName'])}")
        output.line(f"  arn: {escape(arn)}")
        output.line(f"  {resources['InstanceCount']} x {resources['InstanceType']}"
                    f"{', managed spot' if request['EnableManagedSpotTraining'] else ''}; "
                    f"checkpoints: {escape(request['CheckpointConfig']['S3Uri'])}")
        output.line(f"  follow it: mladmin launch status {stack} {escape(request['TrainingJobName'])}")

    @launch_app.command("status", cls=Command)
    def status(
        stack: str = typer.Argument(..., metavar="STACK", help=STACK_HELP),
        name: Optional[str] = typer.Argument(None, metavar="NAME", help="A job of the stack (its newest runs) or one run's "
                                             "SageMaker name (its details). Default: every job's runs."),
        config: Optional[Path] = typer.Option(None, "--config", "-c", help=CONFIG_HELP),
        as_json: bool = typer.Option(False, "--json", help="Print the runs (or the run) as JSON."),
    ) -> None:
        """List the runs of the stack's training jobs, or describe one run."""
        from mladmin.sagemaker import training
        from mladmin.sagemaker.aws import Aws
        from mladmin.sagemaker.stack import load_stack

        with command_errors():
            target = load_stack(stack, config)
            settings = target.settings
            jobs = [job for job in settings.sagemaker.training_jobs if name in (None, job.name)]
            if name is not None and not jobs:
                aws = Aws(settings.region)
                run = training.describe(aws, name)
                _show_run(run, as_json)
                return
            runs = training.list_runs(Aws(settings.region), settings, jobs)
        if as_json:
            print_json(runs)
            return
        rows = [[escape(run["TrainingJobName"]), run["TrainingJobStatus"], str(run["CreationTime"])[:19],
                 str(run.get("TrainingEndTime") or "")[:19]] for run in runs]
        output.table(f"training runs of {stack}", [output.Column("name"), output.Column("status"),
                                                   output.Column("created"), output.Column("ended")], rows)
        if not runs:
            output.line("no runs yet: mladmin launch train STACK JOB")

    @launch_app.command("stop", cls=Command)
    def stop(
        stack: str = typer.Argument(..., metavar="STACK", help=STACK_HELP),
        name: str = typer.Argument(..., metavar="NAME", help="The SageMaker name of the run, as `launch status` lists it."),
        config: Optional[Path] = typer.Option(None, "--config", "-c", help=CONFIG_HELP),
    ) -> None:
        """Stop a running training job (SageMaker keeps its checkpoints and saves the model so far)."""
        from mladmin.sagemaker import training
        from mladmin.sagemaker.aws import Aws
        from mladmin.sagemaker.stack import load_stack

        with command_errors():
            target = load_stack(stack, config)
            training.stop(Aws(target.settings.region), target.settings, name, target.source)
        output.line(f"stopping {escape(name)}: mladmin launch status {stack} {escape(name)} shows when it has stopped")

    @launch_app.command("fetch", cls=Command)
    def fetch(
        stack: str = typer.Argument(..., metavar="STACK", help=STACK_HELP),
        name: str = typer.Argument(..., metavar="NAME", help="The SageMaker name of a finished run, as `launch status` lists it."),
        directory: Path = typer.Argument(..., metavar="DIR", help="New or empty directory for the trained model."),
        config: Optional[Path] = typer.Option(None, "--config", "-c", help=CONFIG_HELP),
        force: bool = typer.Option(False, "--force", help="Unpack into DIR even if it is not empty."),
    ) -> None:
        """Download a finished run's model (its model.tar.gz) into DIR, ready for `mladmin eval` and `model register`."""
        from mladmin.cli.model import _check_target
        from mladmin.sagemaker import training
        from mladmin.sagemaker.aws import Aws
        from mladmin.sagemaker.stack import load_stack

        _check_target(directory, force)
        with command_errors():
            target = load_stack(stack, config)
            uri = training.fetch_model(Aws(target.settings.region), target.settings, name, directory, target.source)
        output.line(f"unpacked {escape(uri)} into {escape(str(directory))}")

    app.add_typer(launch_app, name="launch")


def _show_run(run: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(run)
        return
    stopping = run.get("StoppingCondition", {})
    resources = run.get("ResourceConfig", {})
    rows = [
        ("status", f"{run.get('TrainingJobStatus')} ({run.get('SecondaryStatus', '')})"),
        ("instances", f"{resources.get('InstanceCount')} x {resources.get('InstanceType')}"),
        ("spot", "yes" if run.get("EnableManagedSpotTraining") else "no"),
        ("max runtime", f"{stopping.get('MaxRuntimeInSeconds')} s"),
        ("checkpoints", (run.get("CheckpointConfig") or {}).get("S3Uri", "-")),
        ("model", (run.get("ModelArtifacts") or {}).get("S3ModelArtifacts", "-")),
    ]
    if run.get("FailureReason"):
        rows.append(("failure", run["FailureReason"]))
    output.table(run["TrainingJobName"], [output.Column("field"), output.Column("value")],
                 [[key, escape(str(value))] for key, value in rows])
