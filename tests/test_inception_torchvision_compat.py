"""Tests for factor.inception.torchvision_compat: key mapping and output equality."""

import pytest
import torch

from factor.inception import torchvision_compat as compat
from factor.inception.network import InceptionOutputs, inception_v3


@pytest.fixture(scope="module")
def reference():
    torch.manual_seed(0)
    return compat.torchvision_reference(aux_logits=True, transform_input=False).eval()


def test_every_key_maps(reference):
    mapping = compat.map_state_dict_keys(reference.state_dict(), inception_v3())
    # 96 ConvBNAct layers x 6 keys (conv.weight, bn weight/bias/running_mean/running_var/
    # num_batches_tracked) + fc and AuxLogits.fc weight and bias = 576 + 4 = 580.
    assert len(mapping.matched) == 580
    assert mapping.complete


def test_outputs_agree(reference):
    model = compat.factor_from_torchvision(reference)
    result = compat.check_equivalence(reference, model, batch_size=1, seed=0)
    assert result.max_abs_diff <= 1e-5
    assert result.agrees


def test_train_mode_aux_agrees(reference):
    model = compat.factor_from_torchvision(reference)
    x = torch.randn(2, 3, 299, 299)
    model.train()
    reference.train()
    try:
        with torch.no_grad():
            torch.manual_seed(1)
            ours = model(x)
            torch.manual_seed(1)
            theirs = reference(x)
    finally:
        reference.eval()
    assert isinstance(ours, InceptionOutputs)
    assert ours.aux_logits.shape == (2, 1000)
    assert torch.allclose(ours.aux_logits, theirs.aux_logits, atol=1e-5)
    assert torch.allclose(ours.logits, theirs.logits, atol=1e-5)


def test_transform_input_is_mirrored(reference):
    reference.transform_input = True
    try:
        model = compat.factor_from_torchvision(reference)
        assert model.transform_input
        assert compat.check_equivalence(reference, model, batch_size=1, image_size=139).agrees
        model.transform_input = False
        # A mismatched flag changes the input, so the check must fail.
        assert not compat.check_equivalence(reference, model, batch_size=1, image_size=139).agrees
    finally:
        reference.transform_input = False


def test_unfactorized_keys_are_rejected(reference):
    with pytest.raises(ValueError, match="does not map one to one") as error:
        compat.load_torchvision_state_dict(inception_v3(factorized=False), reference.state_dict())
    # The 17x17 pair branch7x7_2 (1x7) + branch7x7_3 (7x1) is one 7x7 there.
    assert "Mixed_6b.branch7x7_3.conv.weight" in str(error.value)
    assert "Mixed_6b.branch7x7_2.conv.weight" in str(error.value)  # shape mismatch


def test_missing_aux_is_reported(reference):
    mapping = compat.map_state_dict_keys(reference.state_dict(), inception_v3(aux_logits=False))
    # AuxLogits: conv0 and conv1 (6 keys each) + fc weight and bias = 14 keys.
    assert len(mapping.missing_in_factor) == 14
    assert mapping.missing_in_torchvision == ()
    assert not mapping.complete


def test_checkpoint_lookup_never_downloads(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    assert compat.pretrained_checkpoint_path() is None
    (tmp_path / "checkpoints").mkdir()
    expected = tmp_path / "checkpoints" / "inception_v3_google-0cc3c7bd.pth"
    expected.touch()
    assert compat.pretrained_checkpoint_path() == expected


def test_pretrained_weights_agree():
    path = compat.pretrained_checkpoint_path()
    if path is None:
        pytest.skip("IMAGENET1K_V1 checkpoint is not in the torch hub cache; nothing is downloaded")
    reference = compat.pretrained_reference(path)
    model = compat.factor_from_torchvision(reference)
    assert model.transform_input
    assert compat.check_equivalence(reference, model, batch_size=1).agrees
