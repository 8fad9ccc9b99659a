"""The paper's experiments; importing this package registers each with `invtl.runner`."""

from invtl.experiments import tm, tvo  # noqa: F401
