"""README.md: a table of contents, and a CLI reference identical to what --help prints."""

import importlib.util

from tests.conftest import ROOT

_spec = importlib.util.spec_from_file_location("cli_reference", ROOT / "scripts" / "cli_reference.py")
cli_reference = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cli_reference)

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_cli_reference_is_what_help_prints():
    assert cli_reference.splice(README, cli_reference.reference()) == README, "run: python scripts/cli_reference.py"


def test_readme_cli_reference_check_fails_on_a_stale_section():
    stale = cli_reference.splice(README, cli_reference.BEGIN + "\nold help\n" + cli_reference.END)
    assert cli_reference.splice(stale, cli_reference.reference()) != stale


def test_readme_has_a_table_of_contents_linking_every_section():
    contents = README.split("## Contents", 1)[1].split("\n## ", 1)[0]
    for line in README.splitlines():
        if line.startswith("## ") and line != "## Contents":
            assert f"[{line[3:]}]" in contents, line
