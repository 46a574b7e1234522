"""The HTTP scoring endpoint for the lead router (FastAPI).

Public face: :func:`create_app`, :class:`ServiceSettings`, :func:`serve`, the ``ServedModel``
protocol and :class:`LeadScorerModel` (a fitted LeadScorer with the fast paths). The connection
guards uvicorn lacks (header deadline, head size, idle-first shedding) are in
:mod:`scoring.service.protocol`.
"""
from scoring.service.app import create_app
from scoring.service.served import LeadScorerModel, ModelMeta, ServedModel
from scoring.service.server import ServerThread, serve
from scoring.service.settings import ServiceSettings

__all__ = ["create_app", "serve", "ServerThread", "ServiceSettings", "ServedModel", "LeadScorerModel",
           "ModelMeta"]
