"""Figures and tables of the E-3 chapter (`cifar_tvo`): the E-1 layout of `invtl.experiments.tvo.figures`,
once per dataset (CIFAR-10, CIFAR-100), against the paper's E-3a / E-3b tables."""

from __future__ import annotations

from invtl import paper
from invtl.book import pages
from invtl.experiments import settings
from invtl.experiments.cifar_tvo import analysis as ac
from invtl.experiments.cifar_tvo import grid
from invtl.experiments.tvo import figures as tf
from invtl.experiments.tvo import tables as tt
from invtl.t2d import cifar

PAPER_TABLE = {"cifar10": "E-3a", "cifar100": "E-3b"}
XLABEL = {"pt_samples": "PT samples per class", "ft_samples": "fraction of each target class (LP)"}


def pretraining_classes(config: dict) -> int:
    """Number of classes of an E-3 record's pretraining task (chance on it is 1 / this)."""
    _, relation, _ = grid.pretraining_setup(config)
    return len(grid.task(config["config_seed"], config["num_target"])["classes"][relation])


def compute_status(profile: str, seeds: list[int] | None, device: str, results: str | None, compute: bool) -> str:
    """Compute the missing results when a dataset of the profile is available; one Markdown line either way."""
    datasets = settings("cifar_tvo", profile)["datasets"]
    missing = [ac.DATASET_LABEL[d] for d in datasets if not cifar.available(d)]
    if len(missing) == len(datasets):
        return (
            "No CIFAR data found under the data root (`INVTL_DATA_ROOT` unset or without CIFAR): nothing was "
            "computed for this page; it shows the results already in the store."
        )
    try:
        status = pages.compute_missing("cifar_tvo", profile, seeds, device, results, compute)
    except (OSError, ValueError) as e:  # e.g. a dataset file that cannot be read
        return f"Computing the missing results failed ({type(e).__name__}: {e}); this page shows what the store holds."
    return status + (f" No local copy of {' or '.join(missing)}: not computed." if missing else "")


def dataset_notes(records: list[dict], profile: str) -> str:
    """Markdown notes for the datasets without results (and why), empty when both have results."""
    data, notes = ac.by_dataset(records), []
    in_profile = settings("cifar_tvo", profile)["datasets"]
    for ds in ac.DATASETS:
        if ds in data:
            continue
        label = ac.DATASET_LABEL[ds]
        why = (
            f"not in the `{profile}` profile's grid"
            if ds not in in_profile
            else "no local copy under the data root"
            if not cifar.available(ds)
            else "no results in the store"
        )
        notes.append(
            f":::{{note}}\n**{label} not run: {why}.** No {label} result is in the store for profile "
            f"`{profile}`, so the {label} half of E-3 and of claim C5 is *not run*. The paper's {label} "
            "numbers are listed below for reference.\n:::"
        )
    return "\n\n".join(notes)


def panel_figures(records: list[dict], profile: str) -> list:
    """The E-1 panel figure of each dataset in the store, with the paper's points."""
    figures = [
        tf.panel_figure(
            recs,
            "lp",
            title=f"E-3, {ac.DATASET_LABEL[ds]}, this build ({profile}): linear probe",
            paper_table=PAPER_TABLE[ds],
            classes=pretraining_classes,
            xlabel=XLABEL,
        )
        for ds, recs in ac.by_dataset(records).items()
    ]
    return figures or ["No E-3 results in the store for this profile."]


def beside_parts(records: list[dict], profile: str) -> list:
    """Per dataset (both, also without results): a heading and the paper's points beside ours, panel by panel."""
    data = ac.by_dataset(records)
    return [
        item
        for ds in ac.DATASETS
        for item in (
            f"### {ac.DATASET_LABEL[ds]}",
            tt.beside_table(data.get(ds, []), PAPER_TABLE[ds], "lp", None, profile),
        )
    ]


def training_parts(records: list[dict], profile: str) -> list:
    """Per dataset in the store: the pretrained models' own-task accuracy beside chance, and the paper's note."""
    parts = []
    for ds, recs in ac.by_dataset(records).items():
        table = paper.TABLES[PAPER_TABLE[ds]]
        parts += [
            f"### {ac.DATASET_LABEL[ds]}",
            tt.training_table(recs, profile, pretraining_classes),
            "**Paper:** " + next(n for n in table.notes if n.startswith("Training")),
        ]
    return parts or ["No E-3 results in the store for this profile."]


def differences_parts(records: list[dict], profile: str) -> list:
    """Per dataset in the store: the performance-differences figure and table, each beside the paper's."""
    parts = []
    for ds, recs in ac.by_dataset(records).items():
        label = ac.DATASET_LABEL[ds]
        parts += [
            tf.differences_figure(recs, paper_table=PAPER_TABLE[ds], title=f"{label}, this build ({profile})"),
            tt.differences_table(
                recs,
                paper_table=PAPER_TABLE[ds] + "-diff",
                caption=f"{label} performance differences, this build ({profile})",
            ),
        ]
    return parts or ["No E-3 results in the store for this profile."]
