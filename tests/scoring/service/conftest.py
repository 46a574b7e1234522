"""Fixtures for the scoring endpoint: small fitted scorers, a fake model, a live server."""
from __future__ import annotations

import httpx
import pandas as pd
import pytest

from scoring.model import LeadScorer
from scoring.service.app import create_app
from scoring.service.holder import ModelHolder
from scoring.service.served import LeadScorerModel, ModelMeta
from scoring.service.server import ServerThread
from scoring.service.settings import ServiceSettings
from scoring.synthetic import make_leads
from service_support import FAMILIES, FakeModel


@pytest.fixture(scope="session", autouse=True)
def compiled_batch_reader() -> None:
    """The batch body reader and answer writer compiled, or read from numba's cache, once per
    test process before any service test. The servers the tests start as processes then read
    that cache, as a container built by the Dockerfile does. Cold, each server compiles them on
    its own (~45 s of CPU) before it is ready: two workers doing so at once, beside the other
    pytest worker on the 2-core machine, went past a readiness deadline. Compile time is not
    what those tests are about."""
    from scoring.service.served import _compiling

    _compiling().join()


@pytest.fixture(scope="session")
def lead_frame() -> pd.DataFrame:
    frame, _ = make_leads(4000, seed=11)
    return frame


@pytest.fixture(scope="session")
def scorers(lead_frame) -> dict[str, LeadScorer]:
    """One fitted scorer per model family, on the same seeded leads."""
    return {family: LeadScorer(time_col="created_at", candidates=(family,), random_state=0).fit(lead_frame)
            for family in FAMILIES}


@pytest.fixture(scope="module")
def served(scorers) -> dict[str, LeadScorerModel]:
    """One served model per family (building one checks its fast paths: seconds), warmed up as
    the registry source does: which waits for the body reader's compilation."""
    models = {family: LeadScorerModel(scorers[family], ModelMeta("lead-scoring", "1")) for family in FAMILIES}
    for model in models.values():
        model.warm_up()
    return models


@pytest.fixture
def fake_server():
    """Start a server for a FakeModel with given settings; yields a factory."""
    started = []

    def start(settings: ServiceSettings | None = None, model=None) -> ServerThread:
        holder = ModelHolder(FakeModel() if model is None else model)
        server = ServerThread(create_app(settings or ServiceSettings(), holder=holder)).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def real_server(scorers):
    """The gradient boosting scorer behind a live server (no auth), for the fuzz run."""
    model = LeadScorerModel(scorers["gradient_boosting"], ModelMeta("lead-scoring", "1", alias="champion"))
    server = ServerThread(create_app(ServiceSettings(max_batch=20), holder=ModelHolder(model))).start()
    yield server
    server.stop()


@pytest.fixture
def client_for():
    clients = []

    def make(server: ServerThread, **kw) -> httpx.Client:
        client = httpx.Client(base_url=server.url, timeout=30, **kw)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
