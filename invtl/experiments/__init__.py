"""The paper's experiments; importing this package registers each with `invtl.runner`."""

from invtl.experiments import it, tm, tvo  # noqa: F401
from invtl.experiments import cifar_tvo, ife  # noqa: F401
