"""The whole Inception v3 network and its builder, factorized or not.

Attribute names, and so state_dict keys, equal torchvision's ``Inception3``
(torchvision 0.29): a torchvision state_dict loads into the factorized
network unchanged. The stem's layers sit directly on the network, as in
torchvision; :mod:`factor.inception.stages` groups them for measurement.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor, nn

from factor.inception.blocks import (
    InceptionA,
    InceptionAux,
    InceptionB,
    InceptionC,
    InceptionD,
    InceptionE,
    stem_layers,
)

# ImageNet channel statistics. ``transform_input`` maps an ImageNet-normalized
# image x to x * std / 0.5 + (mean - 0.5) / 0.5, which is the raw [0, 1] image
# rescaled to [-1, 1]. torchvision switches it on for its ported TF weights.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class InceptionOutputs(NamedTuple):
    """Training-mode output of a network with the auxiliary classifier."""

    logits: Tensor
    aux_logits: Tensor


class InceptionV3(nn.Module):
    """Inception v3 for N x 3 x 299 x 299 input, with or without factorized convs.

    Args:
        num_classes: Classifier outputs.
        aux_logits: Build the auxiliary classifier on the last 17x17 output.
        transform_input: Map an ImageNet-normalized input to the [-1, 1]
            scaling of the TF-slim weights before the stem.
        factorized: If False, undo every factorization (see
            :mod:`factor.inception.unfactorize`); output shapes do not change.
        dropout: Dropout probability before the classifier.

    ``forward`` returns the logits (N x num_classes), or in training mode
    with ``aux_logits`` an ``InceptionOutputs`` pair.
    """

    def __init__(
        self,
        num_classes: int = 1000,
        aux_logits: bool = True,
        transform_input: bool = False,
        factorized: bool = True,
        dropout: float = 0.5,
    ) -> None:
        super().__init__()
        if num_classes < 1:
            raise ValueError(f"num_classes must be positive, got {num_classes}")
        self.aux_logits = aux_logits
        self.transform_input = transform_input
        self.factorized = factorized
        # The constants are computed in double precision before rounding to
        # float32, as torchvision does, so both networks see the same input
        # bits. Non-persistent buffers stay out of the state_dict.
        scale = [std / 0.5 for std in IMAGENET_STD]
        shift = [(mean - 0.5) / 0.5 for mean in IMAGENET_MEAN]
        self.register_buffer("input_scale", torch.tensor(scale).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("input_shift", torch.tensor(shift).view(1, 3, 1, 1), persistent=False)

        for name, layer in stem_layers().items():
            self.add_module(name, layer)

        self.Mixed_5b = InceptionA(192, pool_features=32, factorized=factorized)
        self.Mixed_5c = InceptionA(256, pool_features=64, factorized=factorized)
        self.Mixed_5d = InceptionA(288, pool_features=64, factorized=factorized)
        self.Mixed_6a = InceptionB(288)
        self.Mixed_6b = InceptionC(768, channels_7x7=128, factorized=factorized)
        self.Mixed_6c = InceptionC(768, channels_7x7=160, factorized=factorized)
        self.Mixed_6d = InceptionC(768, channels_7x7=160, factorized=factorized)
        self.Mixed_6e = InceptionC(768, channels_7x7=192, factorized=factorized)
        self.AuxLogits = InceptionAux(768, num_classes) if aux_logits else None
        self.Mixed_7a = InceptionD(768, factorized=factorized)
        self.Mixed_7b = InceptionE(1280, factorized=factorized)
        self.Mixed_7c = InceptionE(2048, factorized=factorized)

        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(p=dropout)
        self.fc = nn.Linear(2048, num_classes)

    def forward(self, x: Tensor) -> Tensor | InceptionOutputs:
        if self.transform_input:
            x = x * self.input_scale + self.input_shift
        # N x 3 x 299 x 299
        x = self.Conv2d_1a_3x3(x)
        # N x 32 x 149 x 149
        x = self.Conv2d_2a_3x3(x)
        # N x 32 x 147 x 147
        x = self.Conv2d_2b_3x3(x)
        # N x 64 x 147 x 147
        x = self.maxpool1(x)
        # N x 64 x 73 x 73
        x = self.Conv2d_3b_1x1(x)
        # N x 80 x 73 x 73
        x = self.Conv2d_4a_3x3(x)
        # N x 192 x 71 x 71
        x = self.maxpool2(x)
        # N x 192 x 35 x 35

        x = self.Mixed_5b(x)
        # N x 256 x 35 x 35
        x = self.Mixed_5c(x)
        # N x 288 x 35 x 35
        x = self.Mixed_5d(x)
        # N x 288 x 35 x 35
        x = self.Mixed_6a(x)
        # N x 768 x 17 x 17

        x = self.Mixed_6b(x)
        x = self.Mixed_6c(x)
        x = self.Mixed_6d(x)
        x = self.Mixed_6e(x)
        # N x 768 x 17 x 17
        aux = self.AuxLogits(x) if self.training and self.AuxLogits is not None else None
        # N x num_classes (training only)

        x = self.Mixed_7a(x)
        # N x 1280 x 8 x 8
        x = self.Mixed_7b(x)
        # N x 2048 x 8 x 8
        x = self.Mixed_7c(x)
        # N x 2048 x 8 x 8

        x = torch.flatten(self.avgpool(x), 1)
        # N x 2048
        logits = self.fc(self.dropout(x))
        # N x num_classes
        if aux is not None:
            return InceptionOutputs(logits, aux)
        return logits


def inception_v3(
    factorized: bool = True,
    aux_logits: bool = True,
    num_classes: int = 1000,
    transform_input: bool = False,
) -> InceptionV3:
    """Build Inception v3, or its unfactorized counterpart with ``factorized=False``.

    Weights keep PyTorch's default initialization; load a torchvision
    state_dict with :func:`factor.inception.torchvision_compat.load_torchvision_state_dict`
    for the released weights' layout.
    """
    return InceptionV3(
        num_classes=num_classes,
        aux_logits=aux_logits,
        transform_input=transform_input,
        factorized=factorized,
    )
