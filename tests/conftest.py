"""Fixtures shared by the test modules."""

import pytest
import torch

from invtl.t2d import cifar


@pytest.fixture
def isolated_cifar(monkeypatch, tmp_path):
    """Fresh cache and results directories, no CIFAR data root, an empty CIFAR memo, one intra-op thread."""
    monkeypatch.setenv("INVTL_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("INVTL_RESULTS", str(tmp_path / "results"))
    monkeypatch.delenv("INVTL_DATA_ROOT", raising=False)
    cifar._MEMO.clear()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small tensors: on a shared CPU, intra-op threads cost up to 10x
    yield
    torch.set_num_threads(threads)
    cifar._MEMO.clear()
