"""invtl: a reproducible companion to *Understanding the Role of Invariance in Transfer Learning*."""

__version__ = "0.1.0"
