"""`mladmin drift`: PSI and unknown tokens against the training reference, exit codes, profiles,
the server's request-log format, and publishing to CloudWatch (moto's real server)."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mladmin.cli.main import app
from workloads.drift.psi import bin_counts, psi, quantile_edges

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, ["drift", *map(str, args)])


def write_jsonl(path: Path, records) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def request(prompt=None, prompt_tokens=None, status=200, model="tiny"):
    record = {"timestamp": "2026-01-01T00:00:00.000Z", "endpoint": "/v1/completions", "status": status,
              "latency_ms": 12.5, "model": model, "prompt_tokens": prompt_tokens, "completion_tokens": 8}
    if prompt is not None:
        record["prompt"] = prompt
    return record


@pytest.fixture(scope="module")
def paragraphs(sample_text_path):
    return [p.strip() for p in sample_text_path.read_text().split("\n\n") if p.strip()]


@pytest.fixture(scope="module")
def logs(paragraphs, tmp_path_factory):
    """Request logs: in-distribution prompts, shifted prompts (code), and token counts only."""
    base = tmp_path_factory.mktemp("drift-logs")
    rng = random.Random(7)
    ping = {"timestamp": "2026-01-01T00:00:00.000Z", "endpoint": "/ping", "status": 200, "latency_ms": 0.3}
    same = [request(p) for p in rng.sample(paragraphs, 60)] + [ping, ping]
    shifted = [request(f"def handler_{i}(event):\n    return {{'ids': [{i}, 0x{i:x}]}}  # naïve ✓")
               for i in range(60)]
    return {
        "same": write_jsonl(base / "same.jsonl", same),
        "shifted": write_jsonl(base / "shifted.jsonl", shifted),
        "counts_short": write_jsonl(base / "short.jsonl", [request(prompt_tokens=3 + i % 3) for i in range(50)]),
    }


@pytest.fixture(scope="module")
def profile_path(tiny_model_dir, sample_text_path, tmp_path_factory):
    path = tmp_path_factory.mktemp("drift-profile") / "profile.json"
    result = invoke("profile", "--reference", sample_text_path, "--model", tiny_model_dir, "--output", path)
    assert result.exit_code == 0, result.output
    return path


def test_psi_of_identical_distributions_is_zero():
    assert psi([0.2, 0.3, 0.5], [0.2, 0.3, 0.5]) == 0.0


def test_psi_by_hand():
    import math

    expected = (0.5 - 0.25) * math.log(0.5 / 0.25) + (0.5 - 0.75) * math.log(0.5 / 0.75)
    assert psi([0.25, 0.75], [0.5, 0.5]) == pytest.approx(expected)


def test_an_empty_bin_gives_a_large_finite_psi():
    assert 0.5 < psi([0.5, 0.5], [1.0, 0.0]) < 10


def test_quantile_bins_split_the_reference_evenly():
    values = list(range(100))
    edges = quantile_edges(values, 4)
    assert edges == pytest.approx([24.75, 49.5, 74.25])
    assert bin_counts(values, edges) == [25, 25, 25, 25]


def test_tied_quantiles_collapse_into_one_edge():
    assert quantile_edges([5] * 50 + [9] * 50, 10) == [5.0, 7.0, 9.0]


def test_prompts_like_the_training_text_do_not_drift(tiny_model_dir, sample_text_path, logs, tmp_path):
    report_path = tmp_path / "report.json"
    result = invoke("--reference", sample_text_path, "--window", logs["same"], "--model", tiny_model_dir,
                    "--output", report_path)
    assert result.exit_code == 0, result.output
    report = json.loads(report_path.read_text())
    assert report["drift"] is False
    assert {name: m["status"] for name, m in report["metrics"].items()} == {
        "prompt_length_psi": "ok", "token_frequency_psi": "ok", "unknown_token_rate": "ok"}
    assert report["window"]["requests"] == 60 and report["window"]["skipped_records"] == 2


def test_code_prompts_drift_on_every_metric_and_exit_1(tiny_model_dir, sample_text_path, logs, tmp_path):
    report_path = tmp_path / "report.json"
    result = invoke("--reference", sample_text_path, "--window", logs["shifted"], "--model", tiny_model_dir,
                    "--output", report_path)
    assert result.exit_code == 1
    metrics = json.loads(report_path.read_text())["metrics"]
    assert metrics["prompt_length_psi"]["value"] > 1.0
    assert metrics["token_frequency_psi"]["value"] > 0.5
    assert metrics["unknown_token_rate"]["value"] > 0.2
    assert all(m["drift"] for m in metrics.values())
    assert "drift detected" in result.output


def test_threshold_decides_the_verdict(tiny_model_dir, sample_text_path, logs, tmp_path):
    result = invoke("--reference", sample_text_path, "--window", logs["shifted"], "--model", tiny_model_dir,
                    "--threshold", 100, "--unknown-threshold", 1.0, "--output", tmp_path / "r.json")
    assert result.exit_code == 0


def test_a_profile_gives_the_same_result_as_the_raw_reference(tiny_model_dir, sample_text_path, profile_path,
                                                              logs, tmp_path):
    def metrics(reference):
        out = tmp_path / "r.json"
        invoke("--reference", reference, "--window", logs["shifted"], "--model", tiny_model_dir, "--output", out)
        return {k: v["value"] for k, v in json.loads(out.read_text())["metrics"].items()}

    assert metrics(profile_path) == pytest.approx(metrics(sample_text_path))


def test_token_counts_alone_measure_length_drift_without_a_model(profile_path, logs, tmp_path):
    out = tmp_path / "r.json"
    result = invoke("--reference", profile_path, "--window", logs["counts_short"], "--output", out)
    assert result.exit_code == 1
    metrics = json.loads(out.read_text())["metrics"]
    assert metrics["prompt_length_psi"]["status"] == "drift"
    assert metrics["token_frequency_psi"]["status"] == "not_measured"
    assert "no prompt text" in metrics["unknown_token_rate"]["reason"]


def test_the_servers_request_log_lines_are_read(tiny_model_dir, profile_path, paragraphs, tmp_path):
    from workloads.serve.request_log import RequestLogger

    stream = io.StringIO()
    logger = RequestLogger(model_name="tiny", model_version="v1", log_prompts=True, redact_pii=True, stream=stream)
    for i, paragraph in enumerate(paragraphs[:40]):
        logger.log(request_id=str(i), method="POST", endpoint="/v1/completions", status=200, latency_s=0.01,
                   details={"prompt_tokens": 10 + i, "completion_tokens": 4, "prompt": paragraph})
    logger.log(request_id="x", method="GET", endpoint="/ping", status=200, latency_s=0.001, details={})
    window = tmp_path / "requests.jsonl"
    window.write_text(stream.getvalue())
    out = tmp_path / "r.json"
    result = invoke("--reference", profile_path, "--window", window, "--model", tiny_model_dir, "--output", out)
    assert result.exit_code in (0, 1), result.output
    report = json.loads(out.read_text())
    window_summary = report["window"]
    assert (window_summary["requests"], window_summary["with_text"], window_summary["skipped_records"]) == (40, 40, 1)
    assert window_summary["models"] == {"tiny": 40} and window_summary["statuses"] == {"200": 40}


def test_profile_from_another_tokenizer_exits_2(profile_path, logs, tmp_path):
    from workloads.tiny import build_tiny_model

    other = build_tiny_model(tmp_path / "other", vocab_size=300)
    result = invoke("--reference", profile_path, "--window", logs["same"], "--model", other,
                    "--output", tmp_path / "r.json")
    assert result.exit_code == 2
    assert "differs from the one the reference profile was built with" in result.output


@pytest.mark.parametrize("content, message", [
    ('{"prompt": "ok", "prompt_tokens": 3}\n{"prompt": \n', ":2: invalid JSON"),
    ('{"prompt_tokens": -1}\n', ":1: prompt_tokens: expected a non-negative integer, got -1"),
    ('{"prompt": 42}\n', ":1: prompt: expected a string, got int"),
    ('["a list"]\n', ":1: expected a JSON object per line"),
    ('{"endpoint": "/ping"}\n', "no requests with a prompt or prompt_tokens field (1 records skipped)"),
])
def test_malformed_window_exits_2_naming_the_line(profile_path, tmp_path, content, message):
    window = tmp_path / "window.jsonl"
    window.write_text(content)
    result = invoke("--reference", profile_path, "--window", window, "--output", tmp_path / "r.json")
    assert result.exit_code == 2
    assert str(window) in result.output and message in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("make_args, message", [
    (lambda d: ["--reference", d["ref"], "--window", d["win"]], "holds prompt text: pass --model DIR"),
    (lambda d: ["--reference", d["missing"], "--window", d["win"], "--model", d["model"]], "reference file not found"),
    (lambda d: ["--reference", d["ref"], "--window", d["win"], "--model", d["missing"]], "(--model) not found"),
    (lambda d: ["--reference", d["ref"], "--window", d["win"], "--threshold", "-1"], "--threshold: -1.0 must be greater than 0"),
    (lambda d: ["--reference", d["bad_profile"], "--window", d["win"]], "kind: expected 'mladmin.drift-profile'"),
    (lambda d: ["--window", d["win"]], "missing --reference"),
])
def test_bad_arguments_exit_2_with_a_clear_message(tiny_model_dir, sample_text_path, logs, tmp_path, make_args, message):
    bad_profile = tmp_path / "profile.json"
    bad_profile.write_text('{"kind": "something else"}')
    paths = {"ref": sample_text_path, "win": logs["same"], "model": tiny_model_dir,
             "missing": tmp_path / "missing", "bad_profile": bad_profile}
    result = invoke(*make_args(paths), "--output", tmp_path / "r.json")
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert not (tmp_path / "r.json").exists()


@pytest.fixture
def moto_cloudwatch(monkeypatch):
    from moto.server import ThreadedMotoServer

    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def test_drift_metrics_are_published_to_cloudwatch(tiny_model_dir, profile_path, logs, tmp_path, moto_cloudwatch):
    import boto3

    out = tmp_path / "r.json"
    result = invoke("--reference", profile_path, "--window", logs["shifted"], "--model", tiny_model_dir,
                    "--output", out, "--publish-cloudwatch", "--namespace", "mladmin/Test",
                    "--metric-name", "PromptDrift", "--endpoint-name", "llm-prod", "--region", "us-east-1",
                    "--endpoint-url", moto_cloudwatch)
    assert result.exit_code == 1, result.output
    report = json.loads(out.read_text())

    client = boto3.client("cloudwatch", region_name="us-east-1", endpoint_url=moto_cloudwatch)
    listed = client.list_metrics(Namespace="mladmin/Test")["Metrics"]
    assert {m["MetricName"] for m in listed} == {"PromptDrift", "PromptLengthPSI", "TokenFrequencyPSI",
                                                 "UnknownTokenRate"}
    dimensions = [{"Name": "EndpointName", "Value": "llm-prod"}, {"Name": "ModelName", "Value": "tiny"}]
    by_name = {m["MetricName"]: sorted(m["Dimensions"], key=lambda d: d["Name"]) for m in listed}
    # The headline metric carries the drift alarm's one dimension; the details carry both.
    assert by_name.pop("PromptDrift") == [{"Name": "EndpointName", "Value": "llm-prod"}]
    assert all(dims == dimensions for dims in by_name.values())

    from datetime import datetime, timedelta, timezone

    now = datetime.now(timezone.utc)
    stats = client.get_metric_statistics(
        Namespace="mladmin/Test", MetricName="TokenFrequencyPSI", Dimensions=dimensions,
        StartTime=now - timedelta(minutes=10), EndTime=now + timedelta(minutes=10), Period=60,
        Statistics=["Maximum"])["Datapoints"]
    assert [d["Maximum"] for d in stats] == [pytest.approx(report["metrics"]["token_frequency_psi"]["value"])]
    assert report["cloudwatch"]["metrics"]["PromptDrift"] == pytest.approx(
        max(report["metrics"]["prompt_length_psi"]["value"], report["metrics"]["token_frequency_psi"]["value"]))


def test_unreachable_cloudwatch_exits_2(profile_path, logs, tmp_path, monkeypatch):
    import socket

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")  # the outcome is the same after botocore's retries, only slower
    with socket.socket() as sock:  # a port with nothing listening
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = invoke("--reference", profile_path, "--window", logs["counts_short"], "--output", tmp_path / "r.json",
                    "--publish-cloudwatch", "--region", "us-east-1", "--endpoint-url", f"http://127.0.0.1:{port}")
    assert result.exit_code == 2
    assert "CloudWatch put_metric_data to namespace 'mladmin/Drift' failed" in result.output
    report = json.loads((tmp_path / "r.json").read_text())  # the measurement is kept
    assert report["metrics"]["prompt_length_psi"]["status"] == "drift"
    assert "failed" in report["cloudwatch"]["error"]
