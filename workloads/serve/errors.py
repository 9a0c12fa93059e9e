"""Errors in OpenAI's shape, `{"error": {"message", "type", "param", "code"}}`, for every endpoint."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException

log = logging.getLogger("mladmin.serve")

INVALID_REQUEST = "invalid_request_error"


class APIError(Exception):
    def __init__(self, status: int, message: str, *, type: str = INVALID_REQUEST,
                 param: str | None = None, code: str | None = None):
        super().__init__(message)
        self.status, self.message, self.type, self.param, self.code = status, message, type, param, code


def error_body(message: str, type: str = INVALID_REQUEST, param: str | None = None,
               code: str | None = None) -> dict:
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


def error_response(error: APIError) -> JSONResponse:
    headers = {"Retry-After": "1"} if error.status in (429, 503) else None
    return JSONResponse(error_body(error.message, error.type, error.param, error.code),
                        status_code=error.status, headers=headers)


def _param(loc: tuple) -> str | None:
    parts = [p for p in loc if p != "body"]
    if not parts:
        return None
    text = str(parts[0])
    for part in parts[1:]:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def validation_error(errors: list[dict]) -> APIError:
    """One 400 naming every invalid field; invalid JSON and unknown fields get their own wording."""
    problems, first_param = [], None
    for err in errors:
        param = _param(tuple(err.get("loc", ())))
        kind = err.get("type")
        if kind == "json_invalid":
            detail = (err.get("ctx") or {}).get("error", "")
            return APIError(400, f"the request body is not valid JSON: {detail}".rstrip(": "))
        if kind == "extra_forbidden":
            message = f"{param}: unrecognized request argument"
        elif kind == "missing" and param is None:
            message = "the request body is missing: expected a JSON object"
        elif kind == "model_type" and param is None:
            message = "the request body must be a JSON object"
        else:
            message = f"{param}: {err.get('msg', 'invalid').removeprefix('Value error, ')}" if param else err["msg"]
        if message not in problems:
            problems.append(message)
        first_param = first_param or param
    return APIError(400, "; ".join(problems[:5]) or "invalid request", param=first_param)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(APIError)
    async def _api_error(request: Request, exc: APIError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(validation_error(list(exc.errors())))

    @app.exception_handler(ValidationError)
    async def _invalid_model(request: Request, exc: ValidationError) -> JSONResponse:
        return error_response(validation_error(list(exc.errors())))

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        if exc.status_code == 404:
            message = f"no such endpoint: {request.method} {request.url.path}"
        elif exc.status_code == 405:
            message = f"method {request.method} is not allowed on {request.url.path}"
        else:
            message = str(exc.detail)
        error = APIError(exc.status_code, message, type=INVALID_REQUEST if exc.status_code < 500 else "server_error")
        response = error_response(error)
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(APIError(500, "internal server error", type="server_error"))
