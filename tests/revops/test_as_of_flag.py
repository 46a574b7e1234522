"""Every command's --as-of takes a calendar date or exits 2 naming the flag (never a traceback)."""
from __future__ import annotations

import argparse

import pytest

from revops.cli import build_parser, main


def _commands_with_as_of() -> list[tuple[str, ...]]:
    found = []

    def walk(parser: argparse.ArgumentParser, path: tuple[str, ...]) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, path + (name,))
            elif "--as-of" in action.option_strings:
                found.append(path)

    walk(build_parser(), ())
    return found


COMMANDS = _commands_with_as_of()


def test_the_commands_are_found():
    assert ("forecast",) in COMMANDS and ("funnel",) in COMMANDS and ("sample-data",) in COMMANDS


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_bad_date_exits_2_naming_the_flag(command, capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--as-of", "31/12/2026", "--out", str(tmp_path / "o")])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "--as-of" in err and "YYYY-MM-DD" in err and "'31/12/2026'" in err
    assert not (tmp_path / "o").exists()
