"""`uvicorn tests.reader.serve:app --factory`: the real API wired from the environment."""

from fastapi import FastAPI

from adapters.bootstrap import bootstrap
from api.app import create_app


def app() -> FastAPI:
    return create_app(bootstrap())
