"""Error responses: validation errors without echoing inputs, 503 while the model loads."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from .service import ModelNotReadyError


def add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's default echoes each offending input back, which fails to serialise for NaN
        # or infinity (a 500 for bad input) and can mirror a megabyte body; type, location and
        # message say what was wrong.
        errors = [{"type": e["type"], "loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
        return JSONResponse({"detail": errors}, status_code=422)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        # FastAPI answers any body it cannot parse with "There was an error parsing the body";
        # the cause says what was wrong, and the client deserves to know.
        cause = exc.__cause__
        if exc.status_code == 400 and isinstance(cause, UnicodeDecodeError):
            exc = HTTPException(
                400, f"request body is not valid UTF-8 (byte {cause.start}): send UTF-8 JSON"
            )
        elif exc.status_code == 400 and isinstance(cause, RecursionError):
            exc = HTTPException(
                400,
                'request body JSON is nested too deeply: send {"instances": [{...}, ...]}',
            )
        return await http_exception_handler(request, exc)

    @app.exception_handler(ModelNotReadyError)
    async def _not_ready(request: Request, exc: ModelNotReadyError) -> JSONResponse:
        return JSONResponse(
            {"detail": f"model not ready: {exc}"}, status_code=503, headers={"Retry-After": "1"}
        )
