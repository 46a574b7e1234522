"""The HTTP scoring endpoint for the lead router (FastAPI).

Public face: :func:`create_app`, :class:`ServiceSettings`, :func:`serve`, the ``ServedModel``
protocol and :class:`LeadScorerModel` (a fitted LeadScorer with the fast paths). The connection
guards uvicorn lacks (header deadline, head size, idle-first shedding) are in
:mod:`scoring.service.protocol`.

Names are imported on first use: ``revops score serve --help`` reads :class:`ServiceSettings`
and must not pay for FastAPI, scikit-learn and numba.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs={
    "app": ["create_app"],
    "served": ["LeadScorerModel", "ModelMeta", "ServedModel"],
    "server": ["ServerThread", "serve"],
    "settings": ["ServiceSettings"],
})

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time __getattr__ loads these
    from scoring.service.app import create_app
    from scoring.service.served import LeadScorerModel, ModelMeta, ServedModel
    from scoring.service.server import ServerThread, serve
    from scoring.service.settings import ServiceSettings
