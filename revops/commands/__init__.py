"""Subcommands of the ``revops`` CLI, one module each (listed in :data:`revops.cli.COMMANDS`).

Each module exposes ``register(subparsers)`` which adds its parser(s) and sets ``func=run`` (a
callable taking the parsed ``argparse.Namespace`` and returning an exit code). A command reads
files, builds its engine's configuration from flags (:mod:`revops.flags`), calls the engine and
writes through :mod:`revops.artifacts`, the same writers the plan's steps use. Modules import
their heavy dependencies inside ``run`` so that ``revops --help`` stays fast.
"""
