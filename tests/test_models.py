"""invtl.engine.models: shapes, head/embed contract, exact parameter counts (book/protocol.md, Models), ViT details."""

import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from invtl.engine.models import MODELS, create

# name -> (representation dim, head dim, params C=10, params C=30); book/protocol.md (Models) table
SPEC = {
    "resnet18": (512, 512, 11_173_962, 11_184_222),
    "resnet50": (2048, 2048, 23_520_842, 23_561_822),
    "densenet121": (6144, 384, 1_000_618, 1_008_318),
    "vgg11": (512, 512, 9_231_114, 9_241_374),
    "vit": (384, 384, 12_470_026, 12_477_726),
}


@pytest.fixture(scope="module")
def batch():
    return torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))


@pytest.fixture(scope="module", params=MODELS)
def built(request):
    torch.manual_seed(0)
    return request.param, create(request.param, 10).eval()


def n_params(model):
    return sum(p.numel() for p in model.parameters())


def test_model_list():
    assert MODELS == tuple(SPEC)


@pytest.mark.parametrize("name", MODELS)
def test_exact_parameter_counts(name):
    with torch.device("meta"):
        counts = (n_params(create(name, 10)), n_params(create(name, 30)))
    assert counts == SPEC[name][2:]


def test_shapes_and_head_contract(built, batch):
    name, model = built
    rep_dim, head_dim = SPEC[name][:2]
    assert (model.representation_dim, model.head_dim) == (rep_dim, head_dim)
    assert isinstance(model.head, nn.Linear)
    assert (model.head.in_features, model.head.out_features) == (head_dim, 10)
    with torch.no_grad():
        logits, feats, emb = model(batch), model.features(batch), model.embed(batch)
    assert logits.shape == (2, 10)
    assert feats.shape == (2, rep_dim)
    assert emb.shape == (2, model.head.in_features)
    torch.testing.assert_close(logits, model.head(emb), rtol=0, atol=1e-6)
    if name != "densenet121":  # the representation is what the head sees
        torch.testing.assert_close(feats, emb, rtol=0, atol=0)


def test_replacing_head_keeps_features(built, batch):
    name, model = built
    with torch.no_grad():
        before = model.features(batch)
        old = model.head
        try:
            model.head = nn.Linear(model.head.in_features, 30)
            assert model(batch).shape == (2, 30)
            after = model.features(batch)
        finally:
            model.head = old
    torch.testing.assert_close(before, after, rtol=0, atol=0)


def test_densenet_representation_is_last_bn_before_relu_and_pool(batch):
    torch.manual_seed(0)
    model = create("densenet121", 10).eval()
    with torch.no_grad():
        feats, emb = model.features(batch), model.embed(batch)
    assert (feats < 0).any()  # pre-ReLU
    pooled = F.avg_pool2d(F.relu(feats.view(2, 384, 4, 4)), 4).flatten(1)
    torch.testing.assert_close(emb, pooled)


def test_vgg_representation_layer_is_index_29():
    model = create("vgg11", 10)
    assert len(model.layers) == 30 and isinstance(model.layers[29], nn.AvgPool2d)
    convs = [m for m in model.layers if isinstance(m, nn.Conv2d)]
    assert len(convs) == 8 and all(c.bias is not None for c in convs)


def test_vit_patch_order_and_embeddings(batch):
    model = create("vit", 10)
    # reference patchify of omihub777/ViT-CIFAR: unfold rows, unfold cols, channel last
    ref = batch.unfold(2, 4, 4).unfold(3, 4, 4).permute(0, 2, 3, 4, 5, 1).reshape(2, 64, 48)
    torch.testing.assert_close(model.patchify(batch), ref, rtol=0, atol=0)
    assert model.patchify(batch)[0, 1, :3].tolist() == batch[0, :, 0, 4].tolist()  # token 1 = patch (0, 1)
    assert model.emb.in_features == 48 and model.cls_token.shape == (1, 1, 384)
    assert model.pos_emb.shape == (1, 65, 384)
    assert 0.9 < model.pos_emb.std().item() < 1.1  # N(0, 1) init
    assert len(model.enc) == 7


def test_vit_attention_scaled_by_full_width():
    torch.manual_seed(0)
    attn = create("vit", 10).enc[0].msa
    x = torch.randn(2, 65, 384)
    with torch.no_grad():
        q, k, v = (lin(x).view(2, 65, 8, 48).transpose(1, 2) for lin in (attn.q, attn.k, attn.v))
        score = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(384), dim=-1)
        ref = attn.o((score @ v).transpose(1, 2).reshape(2, 65, 384))
        out = attn(x)
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)


def test_same_seed_same_weights():
    torch.manual_seed(3)
    a = create("vit", 10)
    torch.manual_seed(3)
    b = create("vit", 10)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


@pytest.mark.parametrize("name", [m for m in MODELS if m != "resnet50"])
def test_channels_last_bf16_autocast_and_backward(name, batch):
    torch.manual_seed(0)
    model = create(name, 10).to(memory_format=torch.channels_last).train()
    x = batch.to(memory_format=torch.channels_last)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits = model(x)
        feats = model.features(x)
    assert logits.shape == (2, 10) and torch.isfinite(logits).all()
    assert feats.shape == (2, SPEC[name][0])
    F.cross_entropy(logits.float(), torch.tensor([0, 1])).backward()
    assert all(p.grad is not None for p in model.parameters())


def test_channels_last_features_keep_logical_order(batch):
    torch.manual_seed(0)
    model = create("densenet121", 10).eval()
    with torch.no_grad():
        ref = model.features(batch)
        cl = model.to(memory_format=torch.channels_last).features(batch.to(memory_format=torch.channels_last))
    torch.testing.assert_close(cl, ref, rtol=1e-4, atol=1e-4)


def test_unknown_name():
    with pytest.raises(ValueError) as err:
        create("resnet-18", 10)
    msg = str(err.value)
    assert "\n" not in msg and "'resnet-18'" in msg
    assert all(m in msg for m in MODELS)
