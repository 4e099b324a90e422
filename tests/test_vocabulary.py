"""The README's vocabulary tables are generated from the registry and up to date: every
primitive and every public function of ``ops`` has a row, each with its own description."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograd_mini import ops, vocabulary

README = Path(__file__).resolve().parent.parent / "README.md"


def listed() -> list[str]:
    return [name for _, names in vocabulary.families() for name in names]


def test_every_primitive_and_public_function_has_one_row():
    names = listed()
    assert len(names) == len(set(names))
    for p in ops.PRIMITIVES.values():
        assert vocabulary._public_name(p) in names, p.name
    for name in ops.__all__:
        if callable(getattr(ops, name)):
            assert name in names, name


def test_every_row_has_a_description_and_no_description_is_stale():
    names = set(listed())
    assert sorted(names - set(vocabulary.DESCRIPTIONS)) == []
    assert sorted(set(vocabulary.DESCRIPTIONS) - names) == []
    for what, derivative in vocabulary.DESCRIPTIONS.values():
        assert what and derivative and "|" not in what + derivative  # one Markdown cell each


def test_a_missing_description_is_named():
    saved = vocabulary.DESCRIPTIONS.pop("einsum")
    try:
        with pytest.raises(KeyError, match="no description for \\['einsum'\\]"):
            vocabulary.markdown()
    finally:
        vocabulary.DESCRIPTIONS["einsum"] = saved


def test_readme_table_is_the_generated_one():
    text = README.read_text(encoding="utf-8")
    assert vocabulary.section(text) == vocabulary.markdown(), (
        "the README's vocabulary is out of date: run "
        "`python -m autograd_mini.vocabulary --write README.md`")


def test_replace_section_round_trips():
    text = f"intro\n{vocabulary.BEGIN}\nold\n{vocabulary.END}\nrest\n"
    new = vocabulary.replace_section(text, "| a | b | c |\n")
    assert new == f"intro\n{vocabulary.BEGIN}\n| a | b | c |\n{vocabulary.END}\nrest\n"
    assert vocabulary.section(new) == "| a | b | c |\n"
