"""Constellation: the atlas pipeline and library for the Hugging Face Hub model genealogy.

What an analyst needs is here (docs/library.md walks through it)::

    import constellation

    layout = constellation.DataLayout.at()           # $CONSTELLATION_DATA, else ./data
    tables = constellation.read_atlas(layout)        # the latest atlas as pandas frames
    picked = constellation.select(tables, constellation.ExportFilters(communities=(3,)))
    constellation.write_export(picked, "parquet", "community-3")   # models.parquet + edges.parquet
    constellation.params_from_name("Llama-2-7b-hf").total          # 7000000000

The names load on first use (PEP 562), so `import constellation` stays cheap: the crawler imports this
package for `__version__` and must not pay for pandas or scikit-learn. The build function is exported as
`build_atlas` because `constellation.build` is the module that holds it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from constellation.atlas.stage import AtlasConfig
    from constellation.build import BuildConfig
    from constellation.build import build as build_atlas
    from constellation.contract import DataLayout
    from constellation.errors import ConstellationError
    from constellation.export.select import ExportFilters, select
    from constellation.export.writers import write_export
    from constellation.genealogy.params import params_from_name
    from constellation.genealogy.stage import GenealogyConfig
    from constellation.store import AtlasTables, read_atlas

    __version__: str

__all__ = [
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

# Public name → (module, attribute in that module).
_LAZY: dict[str, tuple[str, str]] = {
    "AtlasConfig": ("constellation.atlas.stage", "AtlasConfig"),
    "AtlasTables": ("constellation.store", "AtlasTables"),
    "BuildConfig": ("constellation.build", "BuildConfig"),
    "ConstellationError": ("constellation.errors", "ConstellationError"),
    "DataLayout": ("constellation.contract", "DataLayout"),
    "ExportFilters": ("constellation.export.select", "ExportFilters"),
    "GenealogyConfig": ("constellation.genealogy.stage", "GenealogyConfig"),
    "build_atlas": ("constellation.build", "build"),
    "params_from_name": ("constellation.genealogy.params", "params_from_name"),
    "read_atlas": ("constellation.store", "read_atlas"),
    "select": ("constellation.export.select", "select"),
    "write_export": ("constellation.export.writers", "write_export"),
}


def _version() -> str:
    """The installed distribution's version (pyproject.toml is its one source)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("constellation")
    except PackageNotFoundError:  # a source tree on sys.path that was never installed
        return "0+unknown"


def __getattr__(name: str) -> Any:
    if name == "__version__":
        value: Any = _version()
    elif name in _LAZY:
        module, attribute = _LAZY[name]
        value = getattr(importlib.import_module(module), attribute)
    else:
        raise AttributeError(f"module 'constellation' has no attribute {name!r}")
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
