"""Progress for long steps, on stderr, silent with ``--quiet`` or when not on a terminal."""
from __future__ import annotations

import contextlib
import sys
import time
from typing import Iterator

from rich.console import Console


class Progress:
    """Says which step runs and how long each took; a no-op when quiet."""

    def __init__(self, quiet: bool = False):
        self.quiet = quiet
        self.console = Console(stderr=True, highlight=False)

    def info(self, message: str) -> None:
        if not self.quiet:
            self.console.print(message)

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        if self.quiet:
            yield
            return
        start = time.perf_counter()
        if sys.stderr.isatty():
            with self.console.status(f"[bold]{name}[/bold] ..."):
                yield
        else:
            self.console.print(f"{name} ...")
            yield
        self.console.print(f"[green]done[/green] {name} ({time.perf_counter() - start:.1f} s)")
