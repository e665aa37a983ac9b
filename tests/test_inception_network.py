"""Tests for factor.inception.network: the whole network and its builder."""

import pytest
import torch

from factor.counting import count_parameters
from factor.inception.network import inception_v3


@pytest.fixture(scope="module")
def networks():
    torch.manual_seed(0)
    return {flag: inception_v3(factorized=flag).eval() for flag in (True, False)}


@pytest.mark.parametrize("factorized", [True, False])
def test_eval_output_shape(networks, factorized):
    # 75 x 75 is the smallest input the stem and reductions accept.
    with torch.no_grad():
        assert networks[factorized](torch.randn(2, 3, 75, 75)).shape == (2, 1000)


def test_networks_share_stage_shapes(networks):
    shapes = {}
    for flag, model in networks.items():
        trail = []
        hooks = [getattr(model, name).register_forward_hook(lambda m, i, o, t=trail: t.append(tuple(o.shape)))
                 for name in ("maxpool2", "Mixed_5d", "Mixed_6a", "Mixed_6e", "Mixed_7a", "Mixed_7c")]
        with torch.no_grad():
            model(torch.randn(1, 3, 139, 139))
        for hook in hooks:
            hook.remove()
        shapes[flag] = trail
    # At 139 x 139: stem -> 15, 35x35 modules keep 15, reductions -> 7 -> 3.
    assert shapes[True] == [(1, 192, 15, 15), (1, 288, 15, 15), (1, 768, 7, 7),
                            (1, 768, 7, 7), (1, 1280, 3, 3), (1, 2048, 3, 3)]
    assert shapes[False] == shapes[True]


def test_param_totals(networks):
    # Sum of the hand counts of the stem, 3 + 1 + 4 + 1 + 2 modules, aux and fc;
    # torchvision's Inception_V3_Weights.IMAGENET1K_V1.meta["num_params"] is 27161264.
    assert count_parameters(networks[True]) == 27161264
    assert count_parameters(networks[False]) == 48086000


@pytest.mark.parametrize(("aux_logits", "expected"), [(True, 27161264), (False, 27161264 - 3326696)])
def test_aux_logits_flag(aux_logits, expected):
    model = inception_v3(aux_logits=aux_logits)
    # InceptionAux(768, 1000) has 3326696 parameters.
    assert count_parameters(model) == expected
    assert (model.AuxLogits is not None) == aux_logits


def test_transform_input_rescales():
    model = inception_v3(transform_input=True)
    x = torch.zeros(1, 3, 1, 1)
    # A zero (ImageNet-normalized) pixel is the mean: (mean - 0.5) / 0.5 in [-1, 1] scaling.
    expected = torch.tensor([(0.485 - 0.5) / 0.5, (0.456 - 0.5) / 0.5, (0.406 - 0.5) / 0.5])
    torch.testing.assert_close((x * model.input_scale + model.input_shift).flatten(), expected)
    assert "input_scale" not in model.state_dict()


def test_rejects_bad_num_classes():
    with pytest.raises(ValueError, match="num_classes"):
        inception_v3(num_classes=0)
