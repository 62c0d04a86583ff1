"""`uvicorn tests.reader.serve:app --factory`: the real API wired from the environment."""

from fastapi import FastAPI

from api.app import create_app
from app.composition import bootstrap


def app() -> FastAPI:
    return create_app(bootstrap())
