"""``/healthz``: the process answers. Open even when an API key is set (for load balancers)."""
from __future__ import annotations

from fastapi import APIRouter

from scoring.service.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="the process is alive")
async def healthz() -> dict:
    return {"status": "ok"}
