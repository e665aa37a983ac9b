"""Checks on the book pipeline: source notebooks, executed copies, table of contents."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
import yaml

from tools import execute_notebooks as pipeline

ROOT = Path(__file__).resolve().parents[1]
SOURCES = pipeline.source_notebooks()


def test_sources_exist():
    assert SOURCES, "no source notebooks found in notebooks/"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_source_has_no_outputs(source):
    notebook = nbformat.read(source, as_version=4)
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.outputs == [] for cell in code_cells), "clear outputs before committing"
    assert all(cell.execution_count is None for cell in code_cells)


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_source_parameters_cell(source):
    names = pipeline.parameter_names(nbformat.read(source, as_version=4))
    assert "profile" in names
    assert "seed" in names


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_executed_copy_is_fresh(source):
    executed_path = ROOT / "book" / source.name
    assert executed_path.exists(), f"run: python -m tools.execute_notebooks --only {source.stem}"
    executed = nbformat.read(executed_path, as_version=4)
    stamp = executed.metadata.get("factor")
    assert stamp is not None, f"{executed_path} was not written by tools/execute_notebooks.py"
    parameters = pipeline.parameters_for(source.stem, stamp["profile"])
    expected = pipeline.source_digest(nbformat.read(source, as_version=4), parameters)
    assert stamp["source_sha256"] == expected, (
        f"{source} changed after book/{source.name} was executed; "
        f"run: python -m tools.execute_notebooks --only {source.stem}"
    )


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_executed_copy_ran_every_cell(source):
    executed = nbformat.read(ROOT / "book" / source.name, as_version=4)
    code_cells = [cell for cell in executed.cells if cell.cell_type == "code"]
    assert all(cell.execution_count is not None for cell in code_cells)
    errors = [out for cell in code_cells for out in cell.outputs if out.output_type == "error"]
    assert errors == []


def test_no_orphan_executed_notebooks():
    executed = {path.name for path in (ROOT / "book").glob("*.ipynb")}
    assert executed == {path.name for path in SOURCES}


def test_toc_lists_every_chapter():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = {entry["file"] for entry in toc["chapters"]}
    for source in SOURCES:
        assert f"book/{source.stem}" in files
    for name in files:
        matches = list(ROOT.glob(f"{name}.*"))
        assert matches, f"_toc.yml lists {name}, which does not exist"


def test_digest_ignores_outputs_but_not_sources():
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    before = pipeline.source_digest(notebook, {"profile": "default"})
    notebook.cells[0].outputs = [nbformat.v4.new_output("stream", text="1")]
    assert pipeline.source_digest(notebook, {"profile": "default"}) == before
    notebook.cells[0].source = "x = 2"
    assert pipeline.source_digest(notebook, {"profile": "default"}) != before
    assert pipeline.source_digest(notebook, {"profile": "full"}) != pipeline.source_digest(
        notebook, {"profile": "default"}
    )


def test_unknown_profile_names_choices():
    with pytest.raises(SystemExit, match="unknown profile 'nope'; choose one of .*default"):
        pipeline.check_request("nope", [])


def test_unknown_notebook_names_choices():
    with pytest.raises(SystemExit, match="unknown notebook"):
        pipeline.check_request("default", ["99_missing"])


def test_profile_files_set_known_parameters():
    for path in pipeline.PROFILE_DIR.glob("*.yml"):
        source = pipeline.SOURCE_DIR / f"{path.stem}.ipynb"
        assert source.exists(), f"{path} has no notebook {source.name}"
        names = set(pipeline.parameter_names(nbformat.read(source, as_version=4)))
        for profile, values in yaml.safe_load(path.read_text(encoding="utf-8")).items():
            assert set(values) <= names, f"{path}: profile {profile} sets unknown {set(values) - names}"


def test_parameter_names_requires_one_cell():
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("a = 1")])
    with pytest.raises(ValueError, match="exactly one cell tagged 'parameters'"):
        pipeline.parameter_names(notebook)
    notebook.cells[0].metadata["tags"] = ["parameters"]
    notebook.cells[0].source = "a = 1  # knob\nb: int = 2\n    nested = 3\n"
    assert pipeline.parameter_names(notebook) == ["a", "b"]


def test_mathjax_is_served_locally():
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert config["sphinx"]["local_extensions"] == {"offline_mathjax": "book/_ext"}
    import sys

    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    try:
        import offline_mathjax
    finally:
        sys.path.pop(0)
    assert (offline_mathjax.mathjax_source_dir() / "tex-chtml.js").is_file()
    assert json.dumps(config).count("cdn") == 0
