"""Tests for factor.inception.unfactorize: the three rules that undo a factorization."""

import pytest

from factor.inception.spec import conv_same, conv_valid
from factor.inception.unfactorize import (
    is_asymmetric_pair,
    merge_asymmetric_chain,
    merge_asymmetric_pair,
    merge_parallel_pair,
    merge_stacked_pair,
)


@pytest.mark.parametrize("n", [3, 5, 7])
@pytest.mark.parametrize("row_first", [True, False])
def test_rule1_pair_becomes_square(n, row_first):
    row, column = (1, n), (n, 1)
    first_kernel, second_kernel = (row, column) if row_first else (column, row)
    merged = merge_asymmetric_pair(conv_same(16, 24, first_kernel), conv_same(24, 40, second_kernel))
    # One n x n conv from the first conv's input to the second conv's output.
    assert merged == conv_same(16, 40, n)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (conv_same(8, 8, (1, 7)), conv_same(8, 8, (1, 7))),  # same orientation
        (conv_same(8, 8, (1, 7)), conv_same(8, 8, (5, 1))),  # different n
        (conv_same(8, 8, 3), conv_same(8, 8, 3)),  # square kernels
        (conv_same(8, 8, (1, 7)), conv_same(4, 8, (7, 1))),  # channels do not chain
    ],
)
def test_rule1_rejects_non_pairs(first, second):
    assert not is_asymmetric_pair(first, second)
    with pytest.raises(ValueError, match="1xn then nx1"):
        merge_asymmetric_pair(first, second)


def test_rule1_chain_merges_each_pair_once():
    # InceptionC's double branch: 1x1, 7x1, 1x7, 7x1, 1x7 -> 1x1, 7x7, 7x7.
    chain = [
        conv_same(768, 160, 1),
        conv_same(160, 160, (7, 1)),
        conv_same(160, 160, (1, 7)),
        conv_same(160, 160, (7, 1)),
        conv_same(160, 192, (1, 7)),
    ]
    assert merge_asymmetric_chain(chain) == [
        conv_same(768, 160, 1),
        conv_same(160, 160, 7),
        conv_same(160, 192, 7),
    ]


def test_rule1_chain_keeps_stride_two_conv():
    # InceptionD's branch7x7x3: the 3x3 stride-2 conv after the pair stays.
    chain = [conv_same(768, 192, 1), conv_same(192, 192, (1, 7)), conv_same(192, 192, (7, 1)),
             conv_valid(192, 192, 3, stride=2)]
    assert merge_asymmetric_chain(chain) == [
        conv_same(768, 192, 1), conv_same(192, 192, 7), conv_valid(192, 192, 3, stride=2)
    ]


def test_rule2_stacked_3x3_becomes_5x5():
    merged = merge_stacked_pair(conv_same(64, 96, 3), conv_same(96, 96, 3))
    # Two stacked 3x3 convs see 3 + 3 - 1 = 5 pixels: one 5x5, 64 -> 96.
    assert merged == conv_same(64, 96, 5)


@pytest.mark.parametrize(
    ("first", "second", "message"),
    [
        (conv_same(64, 96, 3), conv_valid(96, 96, 3, stride=2), "stride-1"),
        (conv_same(64, 96, 3), conv_same(96, 96, 5), "stride-1"),
        (conv_same(64, 96, 3), conv_same(64, 96, 3), "do not chain"),
    ],
)
def test_rule2_rejects_other_stacks(first, second, message):
    with pytest.raises(ValueError, match=message):
        merge_stacked_pair(first, second)


def test_rule3_parallel_pair_sums_channels():
    merged = merge_parallel_pair(conv_same(384, 384, (1, 3)), conv_same(384, 384, (3, 1)))
    # The concatenation was 384 + 384 = 768 channels wide, so is the 3x3.
    assert merged == conv_same(384, 768, 3)


def test_rule3_rejects_different_inputs():
    with pytest.raises(ValueError, match="one input"):
        merge_parallel_pair(conv_same(384, 384, (1, 3)), conv_same(448, 384, (3, 1)))
