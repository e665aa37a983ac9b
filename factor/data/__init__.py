"""Image classification data as uint8 tensors: sources, decoding cache, batches.

* :func:`resolve_data` turns ``"auto"``, ``"torchvision"``, an archive or an
  ImageFolder directory into a :class:`DataSource`.
* :func:`load_split` decodes a split once and caches it as a ``.pt`` file.
* :class:`TensorBatches` yields shuffled, augmented, normalized batches on
  the training device, so the data path costs little next to the model.
"""

from factor.data.augment import CROP_PADDING, random_crop_flip
from factor.data.batches import TensorBatches, channel_statistics
from factor.data.image_folder import IMAGE_EXTENSIONS, ImageFolderIndex, scan_image_folder
from factor.data.paths import default_cache_dir, repository_root, shared_archive_path
from factor.data.sources import DataSource, resolve_data
from factor.data.tensors import ImageTensors, balanced_subset, load_split

__all__ = [
    "CROP_PADDING",
    "IMAGE_EXTENSIONS",
    "DataSource",
    "ImageFolderIndex",
    "ImageTensors",
    "TensorBatches",
    "balanced_subset",
    "channel_statistics",
    "default_cache_dir",
    "load_split",
    "random_crop_flip",
    "repository_root",
    "resolve_data",
    "scan_image_folder",
    "shared_archive_path",
]
