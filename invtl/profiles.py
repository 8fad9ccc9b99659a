"""Profiles: the scales every experiment runs at, and the `Spec` each experiment's `spec.py` fills in.

- `smoke`: CPU, minutes; tiny data and epochs. Proves the pipeline, not the findings.
- `cpu`: this 2-core CPU, hours; every panel of the paper at small scale with models that learn.
  The book's evidence while no GPU is lent.
- `fast`: one GPU, minutes per experiment; full grids, at least 3 seeds, shortened schedules.
- `paper`: the paper's exact protocol, 10 seeds.

A spec lists every setting with its paper value and the reason for it, and per profile the values
that differ, each with the reason it differs ("shrink data, width and epochs, never a grid's
structure"). Torch-free, so the CLI and the book read settings without importing the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PROFILES: dict[str, str] = {
    "smoke": "CPU, minutes: tiny data and epochs; proves the pipeline runs end to end, not the findings",
    "cpu": "this 2-core CPU, hours: every panel of the paper at small scale (narrow networks, fewer samples and "
    "classes), models that learn; the book's evidence while no GPU is lent",
    "fast": "one GPU, minutes per experiment: full grids, 3 seeds, shortened schedules",
    "paper": "the paper's exact protocol: full data and epochs, 10 seeds",
}

DEVICE_KIND = {"smoke": "cpu", "cpu": "cpu", "fast": "cuda", "paper": "cuda"}
"""Where each profile is meant to run (its cost estimates use that device's rates)."""

Setting = tuple[object, str]
"""(value, reason)."""


@dataclass(frozen=True)
class Spec:
    """One experiment's settings: `paper` holds every setting as (value, reason); `overrides` holds, per
    other profile, the settings whose value differs, each as (value, reason)."""

    experiment: str
    paper: dict[str, Setting]
    overrides: dict[str, dict[str, Setting]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for profile, values in self.overrides.items():
            if profile not in PROFILES or profile == "paper":
                raise ValueError(f"{self.experiment}: unknown profile {profile!r}; valid: smoke, cpu, fast")
            unknown = set(values) - set(self.paper)
            if unknown:
                raise ValueError(f"{self.experiment}/{profile}: settings {sorted(unknown)} have no paper value")

    def settings(self, profile: str) -> dict:
        """Setting -> value for `profile`."""
        check_profile(profile)
        return {k: self.overrides.get(profile, {}).get(k, v)[0] for k, v in self.paper.items()}

    def reason(self, profile: str, key: str) -> str:
        """Why `key` has its value in `profile` (the paper's reason where the profile keeps it)."""
        return self.overrides.get(profile, {}).get(key, self.paper[key])[1]

    def table(self, profile: str) -> list[tuple[str, object, object, str]]:
        """(setting, value in profile, paper value, reason) for every setting."""
        values = self.settings(profile)
        return [(k, values[k], v[0], self.reason(profile, k)) for k, v in self.paper.items()]


def check_profile(profile: str) -> str:
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; valid: {', '.join(PROFILES)}")
    return profile
