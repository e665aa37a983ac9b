"""Inception v3 built from ``factor`` layers, and its unfactorized counterpart.

* :func:`inception_v3` builds the network (``factorized=False`` for the
  counterpart); the blocks live in :mod:`factor.inception.blocks`.
* :mod:`factor.inception.unfactorize` contains the rules that undo each
  factorization.
* :mod:`factor.inception.torchvision_compat` loads torchvision's weights
  and checks that both networks compute the same function.
* :mod:`factor.inception.stages` counts parameters and MACs per stage.
* :mod:`factor.inception.memory` measures peak activation memory.
* :mod:`factor.inception.keras_block` rebuilds the 17x17 module in Keras 3.
"""

from factor.inception.blocks import (
    InceptionA,
    InceptionAux,
    InceptionB,
    InceptionC,
    InceptionD,
    InceptionE,
    stem_layers,
)
from factor.inception.network import InceptionOutputs, InceptionV3, inception_v3

__all__ = [
    "InceptionA",
    "InceptionAux",
    "InceptionB",
    "InceptionC",
    "InceptionD",
    "InceptionE",
    "InceptionOutputs",
    "InceptionV3",
    "inception_v3",
    "stem_layers",
]
