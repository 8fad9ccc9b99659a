"""Why C7 does not hold, when it does not: per broken part, the seeds' 95 % interval of the quantity the check
tests. A part whose interval reaches back into what the statement allows is read as seed noise (3 seeds cannot
separate it from the paper), one whose whole interval lies outside as a non-reproduction at this scale."""

from __future__ import annotations

import numpy as np

from invtl.experiments.it.analysis import C7_GAP, GROUP_COLUMNS, column_label, learned, ratio_frame, same_other_none
from invtl.stats import ci95


def scale_evidence(records: list[dict]) -> tuple[str, str]:
    """(markdown, reading) for C7's parts (a) Same below Other and None and (b) |Other - None| <= `C7_GAP`, per
    group and column of the ResNet-18 models: reading "noise" when every broken part's 95 % interval over seeds
    reaches what the statement allows, "non-reproduction" when one lies wholly outside, "open" when neither (a)
    nor (b) is broken (C7's order parts (c), (d) have no seed-level rule)."""
    son = same_other_none(ratio_frame(learned(records)))
    per_seed = son.pivot_table(index=["group", "data_type", "seed"], columns="row", values="value", aggfunc="mean")
    lines, outside, broken = [], False, 0
    for (group, d), g in per_seed.groupby(level=["group", "data_type"]):
        if d not in GROUP_COLUMNS.get(group, ()):
            continue  # a column the paper's table (and the check) does not have
        parts = {}
        if {"Other", "None"} <= set(g.columns) and g[["Other", "None"]].notna().all().all():
            parts["(b) Other − None"] = (g["Other"] - g["None"]).to_numpy(), (-C7_GAP, C7_GAP)
        rivals = g[[c for c in ("Other", "None") if c in g.columns]].min(axis=1)
        parts["(a) Same − min(Other, None)"] = (g["Same"] - rivals).to_numpy(), (-np.inf, 0.0)
        for name, (values, (lo, hi)) in parts.items():
            mean, half = float(values.mean()), float(ci95(values))
            if lo <= mean < hi or (name.startswith("(b)") and lo <= mean <= hi):
                continue
            broken += 1
            reaches = mean - half <= hi and mean + half >= lo
            outside |= not reaches
            lines.append(
                f"- {group} {column_label(d)}: {name} = {mean:+.3f} ± {half:.3f} (95 % interval over {len(values)} "
                f"seeds; per seed {', '.join(f'{v:+.3f}' for v in values)}); the statement allows "
                f"[{lo:+.2f}, {hi:+.2f}]: " + ("within reach" if reaches else "wholly outside")
            )
    if not broken:
        return "", "open"
    return "\n".join(lines), "non-reproduction" if outside else "noise"
