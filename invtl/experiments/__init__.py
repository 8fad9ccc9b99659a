"""The paper's experiments, one package each (one home per paper result):

- `spec.py`: every profile's settings, each with its reason (torch-free);
- `grid.py`: the jobs of a grid and how one job runs;
- `analysis.py`: the tables of the chapter and the checks of its claims;
- `figures.py`: the chapter's figures and widgets.

| name        | paper result | chapter                           |
|-------------|--------------|-----------------------------------|
| `tvo`       | E-1, E-2     | notebooks/e1_e2_transforms_vs_other |
| `cifar_tvo` | E-3          | notebooks/e3_cifar                |
| `ife`       | E-4          | notebooks/e4_irrelevant_features  |
| `it`        | E-5          | notebooks/e5_invariance_transfer  |
| `tm`        | E-6          | notebooks/e6_transform_mismatch   |
"""

from __future__ import annotations

from importlib import import_module

from invtl.experiments.cifar_tvo.spec import SPEC as _CIFAR_TVO
from invtl.experiments.ife.spec import SPEC as _IFE
from invtl.experiments.it.spec import SPEC as _IT
from invtl.experiments.tm.spec import SPEC as _TM
from invtl.experiments.tvo.spec import SPEC as _TVO
from invtl.profiles import Spec

SPECS: dict[str, Spec] = {s.experiment: s for s in (_TVO, _CIFAR_TVO, _IFE, _IT, _TM)}
"""experiment name -> its settings (in the paper's order E-1 ... E-6)."""

PAPER_RESULT = {"tvo": "E-1/E-2", "cifar_tvo": "E-3", "ife": "E-4", "it": "E-5", "tm": "E-6"}


def check(name: str) -> str:
    if name not in SPECS:
        raise ValueError(f"unknown experiment {name!r}; valid: {', '.join(SPECS)}")
    return name


def spec(name: str) -> Spec:
    return SPECS[check(name)]


def settings(name: str, profile: str) -> dict:
    """The values of `profile` for experiment `name`."""
    return spec(name).settings(profile)


def experiment(name: str):
    """The `invtl.engine.runner.Experiment` of `name` (imports its grid, and with it torch)."""
    return import_module(f"invtl.experiments.{check(name)}.grid").EXPERIMENT
