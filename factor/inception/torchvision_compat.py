"""Load torchvision's Inception v3 weights into factor's network and prove equivalence.

The factorized network uses torchvision's attribute names, so the state_dict
keys are the same strings. ``map_state_dict_keys`` checks that claim key by
key and shape by shape before anything is loaded. ``check_equivalence`` then
compares the two networks' eval-mode outputs on one random batch.

Pretrained weights are never downloaded here: ``pretrained_checkpoint_path``
only looks for the file torchvision would have cached in the torch hub
directory.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import torch
import torchvision
from torch import Tensor, nn

from factor.inception.network import InceptionV3, inception_v3

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KeyMapping:
    """Result of matching factor's state_dict keys against torchvision's.

    Attributes:
        matched: Keys present on both sides with equal tensor shapes.
        missing_in_factor: torchvision keys that factor's network lacks.
        missing_in_torchvision: factor keys that torchvision's network lacks.
        shape_mismatches: ``(key, torchvision shape, factor shape)`` triples.
    """

    matched: tuple[str, ...]
    missing_in_factor: tuple[str, ...]
    missing_in_torchvision: tuple[str, ...]
    shape_mismatches: tuple[tuple[str, tuple[int, ...], tuple[int, ...]], ...]

    @property
    def complete(self) -> bool:
        """True when every key maps one to one with equal shapes."""
        return not (self.missing_in_factor or self.missing_in_torchvision or self.shape_mismatches)


@dataclass(frozen=True)
class EquivalenceResult:
    """Eval-mode comparison of two networks on one random input.

    Attributes:
        max_abs_diff: Largest absolute difference between the logits.
        max_abs_logit: Largest absolute logit of the reference, the scale
            that ``max_abs_diff`` should be read against.
        atol: Tolerance the comparison was held to.
        input_shape: Shape of the random input, N x C x H x W.
        keys: Number of state_dict keys that mapped.
    """

    max_abs_diff: float
    max_abs_logit: float
    atol: float
    input_shape: tuple[int, int, int, int]
    keys: int

    @property
    def agrees(self) -> bool:
        """True when the logits agree within ``atol``."""
        return self.max_abs_diff <= self.atol


def map_state_dict_keys(torchvision_state: dict[str, Tensor], model: nn.Module) -> KeyMapping:
    """Match a torchvision state_dict against ``model``'s, key by key and shape by shape."""
    ours = model.state_dict()
    theirs_keys, our_keys = set(torchvision_state), set(ours)
    common = sorted(theirs_keys & our_keys)
    mismatches = tuple(
        (key, tuple(torchvision_state[key].shape), tuple(ours[key].shape))
        for key in common
        if torchvision_state[key].shape != ours[key].shape
    )
    mismatched = {key for key, _, _ in mismatches}
    return KeyMapping(
        matched=tuple(key for key in common if key not in mismatched),
        missing_in_factor=tuple(sorted(theirs_keys - our_keys)),
        missing_in_torchvision=tuple(sorted(our_keys - theirs_keys)),
        shape_mismatches=mismatches,
    )


def load_torchvision_state_dict(model: nn.Module, torchvision_state: dict[str, Tensor]) -> KeyMapping:
    """Copy a torchvision Inception v3 state_dict into ``model`` after checking every key.

    Raises:
        ValueError: If any key is unmapped on either side or any shape differs;
            the message lists them. Nothing is loaded in that case.
    """
    mapping = map_state_dict_keys(torchvision_state, model)
    if not mapping.complete:
        raise ValueError(
            "torchvision state_dict does not map one to one: "
            f"missing in factor {list(mapping.missing_in_factor)}, "
            f"missing in torchvision {list(mapping.missing_in_torchvision)}, "
            f"shape mismatches {list(mapping.shape_mismatches)}; "
            "build factor's network with the same aux_logits and num_classes"
        )
    model.load_state_dict(torchvision_state, strict=True)
    log.debug("loaded %d torchvision keys", len(mapping.matched))
    return mapping


def torchvision_reference(aux_logits: bool = True, transform_input: bool = False) -> nn.Module:
    """Build torchvision's Inception v3 with random, truncated-normal weights (no download)."""
    return torchvision.models.inception_v3(
        weights=None, aux_logits=aux_logits, transform_input=transform_input, init_weights=True
    )


def factor_from_torchvision(reference: nn.Module) -> InceptionV3:
    """Build factor's factorized network with the reference's flags and load its weights.

    ``aux_logits``, ``transform_input`` and ``num_classes`` mirror the
    reference, because torchvision switches ``transform_input`` on for its
    pretrained weights and off otherwise.
    """
    model = inception_v3(
        factorized=True,
        aux_logits=reference.AuxLogits is not None,
        num_classes=reference.fc.out_features,
        transform_input=bool(reference.transform_input),
    )
    load_torchvision_state_dict(model, reference.state_dict())
    return model


def check_equivalence(
    reference: nn.Module,
    model: nn.Module,
    batch_size: int = 2,
    image_size: int = 299,
    atol: float = 1e-5,
    seed: int = 0,
) -> EquivalenceResult:
    """Compare eval-mode logits of two networks on one seeded N x 3 x S x S normal input."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(batch_size, 3, image_size, image_size, generator=generator)
    reference.eval()
    model.eval()
    with torch.no_grad():
        expected = reference(x)
        difference = (expected - model(x)).abs().max().item()
    return EquivalenceResult(
        max_abs_diff=difference,
        max_abs_logit=expected.abs().max().item(),
        atol=atol,
        input_shape=(batch_size, 3, image_size, image_size),
        keys=len(model.state_dict()),
    )


def pretrained_checkpoint_path() -> Path | None:
    """Return the cached IMAGENET1K_V1 checkpoint under the torch hub directory, or None.

    Only the file system is consulted; nothing is downloaded.
    """
    url = torchvision.models.Inception_V3_Weights.IMAGENET1K_V1.url
    path = Path(torch.hub.get_dir()) / "checkpoints" / url.rsplit("/", 1)[-1]
    return path if path.is_file() else None


def pretrained_reference(path: Path) -> nn.Module:
    """Build torchvision's network the way its pretrained builder does and load ``path``.

    The pretrained builder sets ``transform_input=True`` and ``aux_logits=True``.
    """
    reference = torchvision.models.inception_v3(
        weights=None, aux_logits=True, transform_input=True, init_weights=False
    )
    reference.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return reference
