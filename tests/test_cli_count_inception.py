"""Tests for the Inception v3 options of ``python -m factor count``: --unfactorized and --no-aux."""

from __future__ import annotations

import json

import pytest
import torch

from factor import cli

torch.set_num_threads(1)

# Parameter counts derived by hand in tests/test_inception_blocks.py and
# tests/test_inception_network.py: the factorized network has 27161264
# parameters (torchvision's meta["num_params"]), the counterpart 48086000,
# and InceptionAux(768, 1000) has 3326696.
AUX_PARAMS = 3326696


def count(capsys: pytest.CaptureFixture[str], *options: str) -> dict[str, object]:
    # 75 x 75 is the smallest input Inception v3 accepts; parameters do not depend on it.
    status = cli.main(["count", "inception_v3", "--input-size", "75", "--json", *options])
    assert status == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(
    ("options", "expected_params"),
    [
        ((), 27161264),
        (("--no-aux",), 27161264 - AUX_PARAMS),
        (("--unfactorized",), 48086000),
        (("--unfactorized", "--no-aux"), 48086000 - AUX_PARAMS),
    ],
)
def test_inception_options_params(capsys: pytest.CaptureFixture[str], options, expected_params) -> None:
    assert count(capsys, *options)["params"] == expected_params


def test_no_aux_keeps_macs(capsys: pytest.CaptureFixture[str]) -> None:
    # The count runs in eval mode, where AuxLogits never runs: MACs do not change.
    assert count(capsys, "--no-aux")["macs"] == count(capsys)["macs"]


def test_unfactorized_has_more_macs(capsys: pytest.CaptureFixture[str]) -> None:
    factorized = count(capsys)
    unfactorized = count(capsys, "--unfactorized")
    assert unfactorized["macs"] > factorized["macs"]
    assert unfactorized["flops"] == 2 * unfactorized["macs"]


@pytest.mark.parametrize("option", ["--unfactorized", "--no-aux"])
def test_options_reject_other_models(capsys: pytest.CaptureFixture[str], option: str) -> None:
    status = cli.main(["count", "resnet18", option])
    captured = capsys.readouterr()
    assert status == 2
    assert captured.out == ""
    assert "apply only to inception_v3" in captured.err
    assert "'resnet18'" in captured.err


@pytest.mark.parametrize(
    ("options", "network", "unfactorized", "aux_logits"),
    [
        ((), "torchvision inception_v3", False, True),
        (("--no-aux",), "factor Inception v3, factorized, without auxiliary classifier", False, False),
        (("--unfactorized",), "factor Inception v3, unfactorized counterpart, with auxiliary classifier", True, True),
    ],
)
def test_json_names_counted_network(capsys, options, network, unfactorized, aux_logits) -> None:
    record = count(capsys, *options)
    assert record["network"] == network
    assert record["unfactorized"] is unfactorized
    assert record["aux_logits"] is aux_logits


def test_text_header_names_network(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["count", "inception_v3", "--unfactorized"]) == 0
    first_line = capsys.readouterr().out.splitlines()[0]
    assert first_line == "network:    factor Inception v3, unfactorized counterpart, with auxiliary classifier"
