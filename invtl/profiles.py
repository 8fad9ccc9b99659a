"""Profiles as data: every experiment's values for `smoke`, `fast` and `paper`, in one place.

- `smoke`: CPU, minutes; tiny data and epochs. Proves the pipeline, not the findings.
- `cpu`: CPU evidence with a reduced configuration (narrower networks, fewer samples and classes,
  3 seeds): does a finding appear at all before GPU time is spent? Not the book's result.
- `fast`: one GPU, minutes per experiment; full grids, at least 3 seeds, shortened schedules
  where the findings survive it; every grid splits into chunks of under 8 GPU-minutes.
- `paper`: the exact protocol of `protocol.md`, 10 seeds.

Experiments read their values with `settings(experiment, profile)`; the book prints `table()`.
"""

from __future__ import annotations

PROFILES: dict[str, str] = {
    "smoke": "CPU, minutes: tiny data and epochs; proves the pipeline runs end to end",
    "cpu": "CPU evidence, an hour or less: narrow networks (width 1/4), few classes and samples, 3 seeds; "
           "shows whether a finding appears before any GPU run, not the book's result",
    "fast": "one GPU, minutes per experiment: full grids, 3 seeds, shortened schedules",
    "paper": "the paper's exact protocol: full data and epochs, 10 seeds",
}

SETTINGS: dict[str, dict[str, dict]] = {}
"""experiment -> profile -> setting -> value. Each experiment module adds its entry here."""


def settings(experiment: str, profile: str) -> dict:
    """The values of `profile` for `experiment`."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; valid: {', '.join(PROFILES)}")
    if experiment not in SETTINGS:
        raise ValueError(f"unknown experiment {experiment!r}; valid: {', '.join(SETTINGS) or '(none)'}")
    if profile not in SETTINGS[experiment]:
        raise ValueError(f"profile {profile!r} is not defined for {experiment}; valid: {', '.join(SETTINGS[experiment])}")
    return SETTINGS[experiment][profile]


def table() -> list[dict]:
    """One row per (experiment, setting) with each profile's value, for the book."""
    rows = []
    for experiment, by_profile in SETTINGS.items():
        for key in by_profile["paper"]:
            rows.append({"experiment": experiment, "setting": key, **{p: by_profile[p].get(key) for p in PROFILES}})
    return rows
