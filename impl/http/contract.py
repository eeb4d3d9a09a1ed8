"""The published contract: openapi.yaml itself, as JSON and as YAML.

Clients generate code from what the server publishes, so the server
publishes the hand-written contract rather than a schema FastAPI derives.
"""

import json
from functools import cache
from typing import Any

import yaml
from fastapi import APIRouter, Response

from impl.settings import PROJECT_ROOT

CONTRACT_PATH = PROJECT_ROOT / "openapi.yaml"


@cache
def contract_text() -> str:
    return CONTRACT_PATH.read_text(encoding="utf-8")


@cache
def contract() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(contract_text())
    return document


@cache
def _contract_json() -> bytes:
    return json.dumps(contract(), ensure_ascii=False).encode()


router = APIRouter(include_in_schema=False)


@router.get("/openapi.json")
async def openapi_json() -> Response:
    return Response(_contract_json(), media_type="application/json")


@router.get("/openapi.yaml")
async def openapi_yaml() -> Response:
    return Response(contract_text(), media_type="application/yaml")
