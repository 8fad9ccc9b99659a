"""The invtl command line: preview output, help text and one-line errors with exit code 2."""

import json
import subprocess
import sys

import pytest
import torch
from PIL import Image

from invtl.cli import main


def test_preview_writes_one_row_per_transform(tmp_path, capsys):
    out = tmp_path / "grid.png"
    args = [
        "data",
        "preview",
        "--source",
        "offline",
        "--transforms",
        "rotate",
        "hue",
        "erasing",
        "--per-transform",
        "--objects",
        "0",
        "1",
        "--per-row",
        "4",
        "--out",
        str(out),
    ]
    assert main(args) == 0
    img = Image.open(out)
    assert img.size[1] == 3 * (32 * 3 + 2) + 2  # three rows of 32 px tiles zoomed 3x
    assert "wrote" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args,message",
    [
        (
            ["data", "preview", "--source", "offline", "--transforms", "twirl"],
            "unknown transform 'twirl'; valid: scale",
        ),
        (["data", "preview", "--source", "offline", "--objects", "99"], "object index 99 out of range"),
        (["data", "preview", "--source", "nowhere"], "nowhere"),
        (["data", "preview", "--source", "offline", "--size", "12", "--transforms", "erasing"], "too small"),
    ],
)
def test_bad_input_prints_one_line_and_exits_2(args, message, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("invtl: error: ") and message in err and "\n" not in err


def test_console_script_exit_code_and_help():
    run = subprocess.run(
        [sys.executable, "-m", "invtl.cli", "data", "preview", "--source", "offline", "--transforms", "twirl"],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2 and run.stderr.count("\n") == 1
    helped = subprocess.run(
        [sys.executable, "-m", "invtl.cli", "data", "preview", "--help"], capture_output=True, text=True
    )
    assert helped.returncode == 0 and "--per-transform" in helped.stdout and "erasing" in helped.stdout
    assert subprocess.run([sys.executable, "-m", "invtl.cli", "fly"], capture_output=True).returncode == 2


def test_plan_calibrate_scales_the_estimates_by_the_probe(monkeypatch, capsys):
    from invtl.engine import bench

    probe = {"model": "resnet18 width 0.25", "measured_img_s": 800, "benchmark_img_s": 1600, "factor": 0.5}
    monkeypatch.setattr(bench, "speed_probe", lambda kind: probe)
    assert main(["plan", "tm", "--profile", "cpu", "--seeds", "0", "--max-minutes", "1000", "--json"]) == 0
    base = json.loads(capsys.readouterr().out)
    assert (
        main(["plan", "tm", "--profile", "cpu", "--seeds", "0", "--max-minutes", "1000", "--calibrate", "--json"]) == 0
    )
    calibrated = json.loads(capsys.readouterr().out)
    assert calibrated["calibration"] == probe and "calibration" not in base
    assert calibrated["total_seconds"] == pytest.approx(2 * base["total_seconds"])
    assert main(["plan", "tm", "--profile", "cpu", "--seeds", "0", "--max-minutes", "1000", "--calibrate"]) == 0
    assert "800 img/s here now, 1,600 in the benchmark: estimates divided by 0.50" in capsys.readouterr().out


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a GPU")
def test_plan_calibrate_for_a_gpu_profile_on_a_cpu_is_one_line(capsys):
    assert main(["plan", "tm", "--profile", "fast", "--calibrate"]) == 2
    assert "planned for a GPU and none is here" in capsys.readouterr().err
