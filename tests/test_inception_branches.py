"""Tests for factor.inception.branches: branch naming and registration."""

import pytest
import torch

from factor.inception.branches import BranchedBlock, layer_names, layer_table
from factor.inception.spec import conv_same


@pytest.mark.parametrize(
    ("branch", "chain_length", "head_count", "expected"),
    [
        ("branch1x1", 1, 0, (["branch1x1"], [])),
        ("branch7x7", 3, 0, (["branch7x7_1", "branch7x7_2", "branch7x7_3"], [])),
        ("branch3x3", 1, 2, (["branch3x3_1"], ["branch3x3_2a", "branch3x3_2b"])),
        ("branch3x3dbl", 2, 2, (["branch3x3dbl_1", "branch3x3dbl_2"], ["branch3x3dbl_3a", "branch3x3dbl_3b"])),
    ],
)
def test_layer_names_follow_torchvision(branch, chain_length, head_count, expected):
    assert layer_names(branch, chain_length, head_count) == expected


def test_run_branch_concatenates_heads():
    block = BranchedBlock()
    block.add_branch("b", [conv_same(3, 4, 1)], [conv_same(4, 5, (1, 3)), conv_same(4, 6, (3, 1))])
    # The heads' 5 + 6 channels are concatenated.
    assert block.run_branch("b", torch.randn(1, 3, 6, 6)).shape == (1, 11, 6, 6)
    assert [entry.parallel for entry in block.branch_layers] == [False, True, True]


def test_add_branch_rejects_duplicate():
    block = BranchedBlock()
    block.add_branch("b", [conv_same(3, 4, 1)])
    with pytest.raises(ValueError, match="already defined"):
        block.add_branch("b", [conv_same(3, 4, 1)])


@pytest.mark.parametrize(
    ("chain", "heads", "message"),
    [
        ([], [], "at least one conv"),
        ([conv_same(3, 4, 1), conv_same(5, 6, 3)], [], "feeds one with 5"),
        ([conv_same(3, 4, 1)], [conv_same(8, 4, (1, 3))], "head expects 8"),
    ],
)
def test_add_branch_rejects_bad_chains(chain, heads, message):
    with pytest.raises(ValueError, match=message):
        BranchedBlock().add_branch("b", chain, heads)


def test_layer_table_lists_layers():
    block = BranchedBlock()
    block.add_branch("b", [conv_same(3, 4, 1)], [conv_same(4, 5, (1, 3)), conv_same(4, 6, (3, 1))])
    table = layer_table(block)
    assert list(table["layer"]) == ["b_1", "b_2a", "b_2b"]
    assert list(table["kernel"]) == ["1x1", "1x3", "3x1"]
    assert list(table["out_channels"]) == [4, 5, 6]
    assert list(table["padding"]) == [(0, 0), (0, 1), (1, 0)]
