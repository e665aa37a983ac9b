"""Tests for factor.data: ImageFolder scanning, decoding cache, subsets, augmentation, batches."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest
import torch
from PIL import Image

from factor.data import (
    TensorBatches,
    balanced_subset,
    channel_statistics,
    load_split,
    random_crop_flip,
    resolve_data,
    scan_image_folder,
    shared_archive_path,
)
from factor.data import image_folder, tensors

COLORS = {"cat": (200, 10, 10), "dog": (10, 10, 200)}


def write_image_folder(
    root: Path, per_class: dict[str, int] | None = None, size: int = 32, suffix: str = ".png"
) -> Path:
    """Write root/{train,test}/<class>/NNNN<suffix>: solid-colour images, one colour per class."""
    counts = per_class or {"train": 3, "test": 2}
    for split, count in counts.items():
        for name, color in COLORS.items():
            folder = root / split / name
            folder.mkdir(parents=True, exist_ok=True)
            for number in range(count):
                Image.new("RGB", (size, size), color).save(folder / f"{number:04d}{suffix}")
    return root


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return write_image_folder(tmp_path / "images")


# --- scanning and layout errors -------------------------------------------------------------


def test_scan_lists_classes_and_labels(folder: Path) -> None:
    index = scan_image_folder(folder)
    assert index["train"].classes == ("cat", "dog")
    # 2 classes x 3 training images, cat (label 0) first, then dog (label 1).
    assert index["train"].labels == (0, 0, 0, 1, 1, 1)
    # 2 classes x 2 test images.
    assert len(index["test"].files) == 4


def test_scan_skips_non_image_files(folder: Path) -> None:
    (folder / "train" / "cat" / "notes.txt").write_text("not an image")
    assert len(scan_image_folder(folder)["train"].files) == 6


def test_missing_root_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        scan_image_folder(tmp_path / "nowhere")


def test_missing_split_raises(folder: Path) -> None:
    for path in sorted((folder / "test").rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    (folder / "test").rmdir()
    with pytest.raises(FileNotFoundError, match=r"test does not exist"):
        scan_image_folder(folder)


def test_no_class_folders_raises(tmp_path: Path) -> None:
    (tmp_path / "flat" / "train").mkdir(parents=True)
    (tmp_path / "flat" / "test").mkdir()
    Image.new("RGB", (4, 4)).save(tmp_path / "flat" / "train" / "0000.png")
    with pytest.raises(ValueError, match="no class folders"):
        scan_image_folder(tmp_path / "flat")


def test_different_classes_raise(folder: Path) -> None:
    (folder / "test" / "bird").mkdir()
    Image.new("RGB", (4, 4)).save(folder / "test" / "bird" / "0000.png")
    with pytest.raises(ValueError, match=r"only in test \['bird'\]"):
        scan_image_folder(folder)


def test_empty_class_folder_raises(folder: Path) -> None:
    for path in (folder / "train" / "dog").iterdir():
        path.unlink()
    with pytest.raises(ValueError, match="dog contains no images"):
        scan_image_folder(folder)


def test_unreadable_image_raises(folder: Path, tmp_path: Path) -> None:
    broken = folder / "train" / "cat" / "0001.png"
    broken.write_bytes(b"this is not a PNG file")
    source = resolve_data(folder, cache_dir=tmp_path / "cache")
    with pytest.raises(ValueError, match=r"cannot decode image .*0001\.png"):
        load_split(source, "train", cache_dir=tmp_path / "cache")


def test_unknown_data_path_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="--data"):
        resolve_data(tmp_path / "missing", cache_dir=tmp_path)


def test_non_archive_file_raises(tmp_path: Path) -> None:
    (tmp_path / "data.zip").write_bytes(b"PK")
    with pytest.raises(ValueError, match="not a .tar.gz"):
        resolve_data(tmp_path / "data.zip", cache_dir=tmp_path)


# --- decoding and the tensor cache ----------------------------------------------------------


def test_load_split_decodes_pixels_exactly(folder: Path, tmp_path: Path) -> None:
    source = resolve_data(folder, cache_dir=tmp_path)
    split = load_split(source, "train", cache_dir=tmp_path)
    assert split.images.shape == (6, 3, 32, 32)
    assert split.images.dtype == torch.uint8
    # PNG is lossless, so every cat pixel is exactly COLORS["cat"].
    expected = torch.tensor(COLORS["cat"], dtype=torch.uint8).view(3, 1, 1).expand(3, 32, 32)
    assert torch.equal(split.images[0], expected)
    assert split.labels.tolist() == [0, 0, 0, 1, 1, 1]
    assert split.source == source.name


def test_load_split_resizes_and_converts_to_rgb(tmp_path: Path) -> None:
    root = write_image_folder(tmp_path / "small", size=8)
    Image.new("L", (8, 8), 77).save(root / "train" / "cat" / "gray.png")
    source = resolve_data(root, cache_dir=tmp_path)
    split = load_split(source, "train", image_size=32, cache_dir=tmp_path)
    assert split.images.shape == (7, 3, 32, 32)
    # A solid 8x8 image stays solid after resizing; the gray one repeats 77 in R, G and B.
    assert split.images[3].unique().tolist() == [77]


def test_load_split_reuses_cache(folder: Path, tmp_path: Path, monkeypatch) -> None:
    source = resolve_data(folder, cache_dir=tmp_path)
    first = load_split(source, "test", cache_dir=tmp_path)
    assert len(list((tmp_path / "data" / "tensors").glob("*.pt"))) == 1

    def fail(*_args, **_kwargs):
        raise AssertionError("decoded again despite a cache file")

    monkeypatch.setattr(tensors, "decode_images", fail)
    second = load_split(source, "test", cache_dir=tmp_path)
    assert torch.equal(first.images, second.images)
    assert second.classes == ("cat", "dog")


def test_changed_folder_is_decoded_again(folder: Path, tmp_path: Path) -> None:
    source = resolve_data(folder, cache_dir=tmp_path)
    assert len(load_split(source, "test", cache_dir=tmp_path)) == 4
    Image.new("RGB", (32, 32)).save(folder / "test" / "dog" / "0099.png")
    # 4 earlier images plus the new one.
    assert len(load_split(source, "test", cache_dir=tmp_path)) == 5


def test_archive_is_extracted_into_cache(folder: Path, tmp_path: Path) -> None:
    archive = tmp_path / "images.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname="images")
    source = resolve_data(archive, cache_dir=tmp_path / "cache")
    assert source.root == tmp_path / "cache" / "data" / "images" / "images"
    assert len(load_split(source, "train", cache_dir=tmp_path / "cache")) == 6


def test_archive_without_train_folder_raises(tmp_path: Path) -> None:
    (tmp_path / "loose").mkdir()
    (tmp_path / "loose" / "readme.txt").write_text("no images")
    archive = tmp_path / "loose.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tmp_path / "loose", arcname=".")
    with pytest.raises(ValueError, match="no train/ folder"):
        resolve_data(archive, cache_dir=tmp_path / "cache")


@pytest.mark.skipif(not shared_archive_path().is_file(), reason="shared CIFAR-10 archive is absent")
def test_shared_archive_layout() -> None:
    source = resolve_data("auto")
    assert source.name == "cifar10-jpg"
    index = scan_image_folder(source.root)
    # CIFAR-10: 10 classes x 5,000 training images and 10 x 1,000 test images.
    assert len(index["train"].files) == 50_000
    assert index["test"].classes == (
        "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
    )
    test = load_split(source, "test")
    assert test.images.shape == (10_000, 3, 32, 32)
    assert torch.bincount(test.labels).tolist() == [1_000] * 10


# --- subsets and statistics -----------------------------------------------------------------


@pytest.mark.parametrize(("size", "expected"), [(4, [2, 2]), (5, [3, 2]), (6, [3, 3])])
def test_balanced_subset_counts(size: int, expected: list[int]) -> None:
    labels = torch.tensor([0, 1] * 5)
    chosen = balanced_subset(labels, size, seed=0)
    # size // 2 per class, and the remainder goes to class 0 first.
    assert torch.bincount(labels[chosen], minlength=2).tolist() == expected
    assert torch.equal(chosen, chosen.sort().values)


def test_balanced_subset_is_seeded() -> None:
    labels = torch.arange(100) % 4
    assert torch.equal(balanced_subset(labels, 20, seed=3), balanced_subset(labels, 20, seed=3))
    assert not torch.equal(balanced_subset(labels, 20, seed=3), balanced_subset(labels, 20, seed=4))


def test_balanced_subset_too_large_raises() -> None:
    with pytest.raises(ValueError, match="at most 10"):
        balanced_subset(torch.tensor([0, 1] * 5), 11, seed=0)


def test_channel_statistics_by_hand() -> None:
    images = torch.zeros((2, 2, 1, 1), dtype=torch.uint8)
    images[0, 0] = 255
    # Channel 0 contains {1, 0} in [0, 1] units: mean 0.5, sample std sqrt(0.5) = 0.70711.
    mean, std = channel_statistics(images)
    assert mean.tolist() == pytest.approx([0.5, 0.0])
    assert std.tolist() == pytest.approx([0.5**0.5, 0.0])


# --- augmentation ---------------------------------------------------------------------------


def numbered_images(batch: int = 16, size: int = 8) -> torch.Tensor:
    return torch.arange(batch * 3 * size * size, dtype=torch.int64).view(batch, 3, size, size)


def test_augmentation_off_is_identity() -> None:
    images = numbered_images()
    output = random_crop_flip(images, torch.Generator().manual_seed(0), padding=0, flip=False)
    assert torch.equal(output, images)


def test_flip_mirrors_whole_images() -> None:
    images = numbered_images(batch=64)
    output = random_crop_flip(images, torch.Generator().manual_seed(0), padding=0, flip=True)
    mirrored = [torch.equal(out, image.flip(-1)) for out, image in zip(output, images)]
    unchanged = [torch.equal(out, image) for out, image in zip(output, images)]
    assert all(m or u for m, u in zip(mirrored, unchanged))
    # With 64 fair coin flips, both outcomes appear (probability of failure 2 / 2**64).
    assert any(mirrored)
    assert any(unchanged)


@pytest.mark.parametrize("padding", [1, 4])
def test_crop_is_a_window_of_the_padded_image(padding: int) -> None:
    images = numbered_images(batch=8, size=6) + 1  # no pixel equals the zero padding
    output = random_crop_flip(images, torch.Generator().manual_seed(1), padding=padding, flip=False)
    padded = torch.nn.functional.pad(images, (padding,) * 4)
    span = 2 * padding + 1
    for out, image in zip(output, padded):
        windows = [image[:, r:r + 6, c:c + 6] for r in range(span) for c in range(span)]
        assert any(torch.equal(out, window) for window in windows)


def test_augmentation_is_seeded() -> None:
    images = numbered_images()
    first = random_crop_flip(images, torch.Generator().manual_seed(5))
    second = random_crop_flip(images, torch.Generator().manual_seed(5))
    assert torch.equal(first, second)


def test_negative_padding_raises() -> None:
    with pytest.raises(ValueError, match="padding=-1"):
        random_crop_flip(numbered_images(), torch.Generator(), padding=-1)


# --- batches --------------------------------------------------------------------------------


def small_split(count: int = 10) -> tensors.ImageTensors:
    images = torch.full((count, 3, 4, 4), 100, dtype=torch.uint8)
    return tensors.ImageTensors(images, torch.arange(count) % 2, ("a", "b"), "synthetic")


def test_batches_cover_every_example_once() -> None:
    batches = TensorBatches(small_split(10), 4, torch.zeros(3), torch.ones(3), shuffle=True, seed=0)
    # ceil(10 / 4) = 3 batches of 4, 4 and 2 examples.
    assert len(batches) == 3
    sizes = [labels.numel() for _, labels in batches]
    assert sizes == [4, 4, 2]
    # Shuffled labels keep 5 of each class.
    assert torch.cat([labels for _, labels in batches]).bincount().tolist() == [5, 5]


def test_batches_normalize_pixels() -> None:
    mean, std = torch.full((3,), 0.2), torch.full((3,), 0.1)
    images, _ = next(iter(TensorBatches(small_split(), 4, mean, std)))
    # (100 - 0.2 * 255) / (0.1 * 255) = 49 / 25.5 = 1.92157.
    assert images.dtype == torch.float32
    assert images.flatten().tolist() == pytest.approx([49 / 25.5] * images.numel())


def test_batches_repeat_with_same_seed() -> None:
    def first_labels(seed: int) -> list[int]:
        split = tensors.ImageTensors(
            torch.zeros((20, 3, 4, 4), dtype=torch.uint8), torch.arange(20), ("a",), "synthetic"
        )
        batches = TensorBatches(split, 20, torch.zeros(3), torch.ones(3), shuffle=True, seed=seed)
        return next(iter(batches))[1].tolist()

    assert first_labels(7) == first_labels(7)
    assert first_labels(7) != first_labels(8)


def test_empty_dataset_raises() -> None:
    with pytest.raises(ValueError, match="empty"):
        TensorBatches(small_split(0), 4, torch.zeros(3), torch.ones(3))


def test_layout_hint_names_both_splits() -> None:
    assert "train/<class>" in image_folder.LAYOUT_HINT
    assert "test/<class>" in image_folder.LAYOUT_HINT
