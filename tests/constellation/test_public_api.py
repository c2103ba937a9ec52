"""`import constellation` is the analyst's front door: a pinned, sorted `__all__`, loaded lazily."""

import subprocess
import sys
from importlib.metadata import version

import pytest

import constellation
from constellation.build import BuildConfig, build
from constellation.contract import DataLayout
from constellation.errors import ConstellationError
from constellation.export.select import ExportFilters, select
from constellation.export.writers import write_export
from constellation.genealogy.params import params_from_name
from constellation.store import AtlasTables, read_atlas

PUBLIC = [
    "AtlasConfig",
    "AtlasTables",
    "BuildConfig",
    "ConstellationError",
    "DataLayout",
    "ExportFilters",
    "GenealogyConfig",
    "__version__",
    "build_atlas",
    "params_from_name",
    "read_atlas",
    "select",
    "write_export",
]


def test_all_is_sorted_and_pinned():
    assert constellation.__all__ == sorted(constellation.__all__)
    assert constellation.__all__ == PUBLIC


def test_every_public_name_resolves_to_the_library_object():
    for name in constellation.__all__:
        assert getattr(constellation, name) is not None, name
    assert constellation.build_atlas is build
    assert constellation.BuildConfig is BuildConfig
    assert constellation.DataLayout is DataLayout
    assert constellation.ConstellationError is ConstellationError
    assert (constellation.ExportFilters, constellation.select) == (ExportFilters, select)
    assert constellation.write_export is write_export
    assert constellation.params_from_name is params_from_name
    assert (constellation.AtlasTables, constellation.read_atlas) == (AtlasTables, read_atlas)
    assert constellation.params_from_name("meta-llama/Llama-2-7b-hf").total == 7_000_000_000


def test_dir_lists_the_public_names():
    assert dir(constellation) == PUBLIC


def test_version_comes_from_the_package_metadata():
    assert constellation.__version__ == version("constellation")


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="module 'constellation' has no attribute 'no_such_thing'"):
        constellation.no_such_thing  # noqa: B018


def test_import_is_lazy():
    # The crawler imports `constellation` for its version; that must not load the data stack.
    probe = (
        "import constellation, sys; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'pandas','sklearn','streamlit'}))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
