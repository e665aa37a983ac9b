"""Tests for factor.inception.blocks: shapes, parameter counts and the counterpart rules."""

import pytest
import torch

from factor.counting import count_parameters
from factor.inception.blocks import (
    InceptionA,
    InceptionAux,
    InceptionB,
    InceptionC,
    InceptionD,
    InceptionE,
    stem_layers,
)
from factor.inception.spec import conv_same, conv_valid


def kernels(block, branch):
    return [(entry.spec.kernel_label, entry.spec.in_channels, entry.spec.out_channels)
            for entry in block.branch_layers if entry.branch == branch]


@pytest.mark.parametrize("factorized", [True, False])
@pytest.mark.parametrize(
    ("block", "input_shape", "output_shape"),
    [
        # 224 + pool_features = 224 + 32 = 256 channels, grid kept.
        (lambda f: InceptionA(192, 32, factorized=f), (2, 192, 9, 9), (2, 256, 9, 9)),
        # 384 + 96 + 288 = 768 channels; (9 - 3) // 2 + 1 = 4.
        (lambda f: InceptionB(288), (2, 288, 9, 9), (2, 768, 4, 4)),
        # 4 branches of 192 = 768 channels, grid kept.
        (lambda f: InceptionC(768, 128, factorized=f), (2, 768, 7, 7), (2, 768, 7, 7)),
        # 320 + 192 + 768 = 1280 channels; (7 - 3) // 2 + 1 = 3.
        (lambda f: InceptionD(768, factorized=f), (2, 768, 7, 7), (2, 1280, 3, 3)),
        # 320 + 768 + 768 + 192 = 2048 channels, grid kept.
        (lambda f: InceptionE(1280, factorized=f), (2, 1280, 4, 4), (2, 2048, 4, 4)),
    ],
)
def test_block_output_shape(block, input_shape, output_shape, factorized):
    module = block(factorized).eval()
    with torch.no_grad():
        assert module(torch.randn(input_shape)).shape == output_shape


def test_aux_output_shape():
    aux = InceptionAux(768, 10).eval()
    # 17 -> avg pool 5/3 -> 5 -> 1x1 conv -> 5x5 valid conv -> 1 -> fc 10.
    with torch.no_grad():
        assert aux(torch.randn(2, 768, 17, 17)).shape == (2, 10)


def test_stem_shape_trail():
    shapes = []
    x = torch.randn(1, 3, 299, 299)
    with torch.no_grad():
        for layer in stem_layers().values():
            x = layer.eval()(x)
            shapes.append(tuple(x.shape[1:]))
    # 299 -3x3/2-> 149 -3x3-> 147 -3x3 same-> 147 -pool/2-> 73 -1x1-> 73 -3x3-> 71 -pool/2-> 35.
    assert shapes == [(32, 149, 149), (32, 147, 147), (64, 147, 147), (64, 73, 73),
                      (80, 73, 73), (192, 71, 71), (192, 35, 35)]


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        # Each conv: C_in * C_out * kH * kW weights + 2 * C_out BatchNorm (no bias).
        # branch1x1 192*64+128 = 12416; branch5x5 192*48+96 = 9312 and 48*64*25+128 = 76928;
        # branch3x3dbl 12416, 64*96*9+192 = 55488, 96*96*9+192 = 83136; branch_pool 192*32+64 = 6208.
        # Sum: 12416+9312+76928+12416+55488+83136+6208 = 255904.
        (lambda: InceptionA(192, 32), 255904),
        # 35x35 counterpart: the two 3x3s (55488 + 83136) become 64*96*25+192 = 153792.
        # 255904 - 138624 + 153792 = 271072.
        (lambda: InceptionA(192, 32, factorized=False), 271072),
        # branch3x3 288*384*9+768 = 996096; dbl 288*64+128 = 18560, 55488, 83136.
        # Sum: 996096+18560+55488+83136 = 1153280.
        (lambda: InceptionB(288), 1153280),
        # c7 = 128. branch1x1 and branch_pool 768*192+384 = 147840 each; 1x1 to c7 768*128+256 = 98560;
        # 1x7/7x1 c7->c7 128*128*7+256 = 114944; c7->192 128*192*7+384 = 172416.
        # branch7x7 98560+114944+172416 = 385920; branch7x7dbl 98560+3*114944+172416 = 615808.
        # Sum: 2*147840+385920+615808 = 1297408.
        (lambda: InceptionC(768, 128), 1297408),
        # Counterpart: 7x7 c7->192 128*192*49+384 = 1204608, 7x7 c7->c7 128*128*49+256 = 803072.
        # Sum: 2*147840 + (98560+1204608) + (98560+803072+1204608) = 3705088.
        (lambda: InceptionC(768, 128, factorized=False), 3705088),
        # branch3x3 768*192+384 = 147840, 192*320*9+640 = 553600; branch7x7x3 147840,
        # 2 * (192*192*7+384) = 2*258432, 192*192*9+384 = 332160. Sum: 1698304.
        (lambda: InceptionD(768), 1698304),
        # branch1x1 1280*320+640 = 410240; branch3x3 1280*384+768 = 492288 and 2*(384*384*3+768) = 886272;
        # dbl 1280*448+896 = 574336, 448*384*9+768 = 1549056, 886272; pool 1280*192+384 = 246144.
        # Sum: 410240+492288+886272+574336+1549056+886272+246144 = 5044608.
        (lambda: InceptionE(1280), 5044608),
        # Counterpart: each 886272 pair becomes 384*768*9+1536 = 2655744. 5044608 + 2*1769472 = 8583552.
        (lambda: InceptionE(1280, factorized=False), 8583552),
        # conv0 768*128+256 = 98560; conv1 128*768*25+1536 = 2459136; fc 768*1000+1000 = 769000.
        (lambda: InceptionAux(768, 1000), 3326696),
    ],
)
def test_block_params_by_hand(block, expected):
    assert count_parameters(block()) == expected


def test_counterpart_rule1_17x17():
    block = InceptionC(768, 160, factorized=False)
    # 1x7 then 7x1 becomes one 7x7 with the second conv's 192 outputs.
    assert kernels(block, "branch7x7") == [("1x1", 768, 160), ("7x7", 160, 192)]
    # 7x1,1x7 and 7x1,1x7 become two 7x7s.
    assert kernels(block, "branch7x7dbl") == [("1x1", 768, 160), ("7x7", 160, 160), ("7x7", 160, 192)]


def test_counterpart_rule1_reduction():
    block = InceptionD(768, factorized=False)
    assert kernels(block, "branch7x7x3") == [("1x1", 768, 192), ("7x7", 192, 192), ("3x3", 192, 192)]


def test_counterpart_rule2_35x35():
    block = InceptionA(288, 64, factorized=False)
    assert kernels(block, "branch3x3dbl") == [("1x1", 288, 64), ("5x5", 64, 96)]
    # The released model's own 5x5 branch is not a factorization and stays.
    assert kernels(block, "branch5x5") == [("1x1", 288, 48), ("5x5", 48, 64)]


def test_counterpart_rule3_8x8():
    block = InceptionE(2048, factorized=False)
    assert kernels(block, "branch3x3") == [("1x1", 2048, 384), ("3x3", 384, 768)]
    assert kernels(block, "branch3x3dbl") == [("1x1", 2048, 448), ("3x3", 448, 384), ("3x3", 384, 768)]
    assert not any(entry.parallel for entry in block.branch_layers)


@pytest.mark.parametrize(
    ("factorized_block", "counterpart"),
    [
        (InceptionA(192, 32), InceptionA(192, 32, factorized=False)),
        (InceptionC(768, 128), InceptionC(768, 128, factorized=False)),
        (InceptionD(768), InceptionD(768, factorized=False)),
        (InceptionE(1280), InceptionE(1280, factorized=False)),
    ],
)
def test_counterpart_keeps_1x1_convs(factorized_block, counterpart):
    def one_by_one(block):
        return [(e.name, e.spec) for e in block.branch_layers if e.spec.kernel_size == (1, 1)]

    assert one_by_one(counterpart) == one_by_one(factorized_block)


def test_factorized_17x17_names_match_torchvision():
    block = InceptionC(768, 128)
    assert [entry.name for entry in block.branch_layers] == [
        "branch1x1", "branch7x7_1", "branch7x7_2", "branch7x7_3",
        "branch7x7dbl_1", "branch7x7dbl_2", "branch7x7dbl_3", "branch7x7dbl_4", "branch7x7dbl_5",
        "branch_pool",
    ]
    assert block.get_submodule("branch7x7_2").conv.kernel_size == (1, 7)
    assert block.get_submodule("branch7x7dbl_2").conv.kernel_size == (7, 1)
    assert [e.spec for e in block.branch_layers][:2] == [conv_same(768, 192, 1), conv_same(768, 128, 1)]


def test_reduction_35_17_has_no_counterpart():
    # InceptionB takes no factorized flag: its stacked 3x3s end in a stride-2 conv.
    assert kernels(InceptionB(288), "branch3x3dbl") == [("1x1", 288, 64), ("3x3", 64, 96), ("3x3", 96, 96)]
    assert InceptionB(288).get_submodule("branch3x3dbl_3").conv.stride == (2, 2)
    assert [e.spec for e in InceptionB(288).branch_layers][0] == conv_valid(288, 384, 3, stride=2)
