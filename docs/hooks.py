"""mkdocs hook: the README as a page of the site (``readme.md``), so the site can link to its
sections and a broken link or anchor fails the strict build like any other."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files


def on_files(files: Files, config: Any) -> Files:
    readme = Path(config["config_file_path"]).parent / "README.md"
    # The README links into docs/ from the repository root; the page lives inside docs/.
    text = readme.read_text(encoding="utf-8").replace("](docs/", "](")
    files.append(File.generated(config, "readme.md", content=text))
    return files
