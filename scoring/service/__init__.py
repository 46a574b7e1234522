"""The HTTP scoring endpoint for the lead router (FastAPI).

Public face: :func:`create_app`, :class:`ServiceSettings`, :func:`serve`, the ``ServedModel``
protocol and :class:`LeadScorerModel` (a fitted LeadScorer with the fast paths). The connection
guards uvicorn lacks (header deadline, head size, idle-first shedding) are in
:mod:`scoring.service.protocol`.

Names are imported on first use: ``revops score serve --help`` reads :class:`ServiceSettings`
and must not pay for FastAPI, scikit-learn and numba.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_LAZY = {
    "create_app": "scoring.service.app",
    "LeadScorerModel": "scoring.service.served",
    "ModelMeta": "scoring.service.served",
    "ServedModel": "scoring.service.served",
    "ServerThread": "scoring.service.server",
    "serve": "scoring.service.server",
    "ServiceSettings": "scoring.service.settings",
}

__all__ = ["create_app", "serve", "ServerThread", "ServiceSettings", "ServedModel", "LeadScorerModel",
           "ModelMeta"]

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time __getattr__ loads these
    from scoring.service.app import create_app
    from scoring.service.served import LeadScorerModel, ModelMeta, ServedModel
    from scoring.service.server import ServerThread, serve
    from scoring.service.settings import ServiceSettings


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    # AttributeError (not ImportError) lets `from scoring.service import server` import the submodule
    raise AttributeError(f"module 'scoring.service' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
