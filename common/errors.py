"""Errors as RFC 9457 problem details (``application/problem+json``).

Code below the router raises a :class:`Problem` subclass; one set of handlers renders every
error the same way: our own problems, request validation (a pointer to each bad field),
unknown routes, wrong methods, malformed JSON, an unreachable database (503 with
``Retry-After``) and, as a last resort, bugs (500, with no stack trace in the body).
A client that sends ``Accept-Language: zh`` gets Chinese titles and messages.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from pydantic_core import PydanticCustomError
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY

from common.limits import BODY_LIMIT, describe
from common.links import public_url, request_path
from common.logging import get_logger
from common.routes import allow_header, allowed_methods

PROBLEM_JSON = "application/problem+json"
log = get_logger(__name__)


class FieldProblem(BaseModel):
    """One bad field: where it is, what is wrong, in words and as a stable code."""

    location: str = Field(description="body, query, path or header", examples=["body"])
    pointer: str = Field(
        description="JSON Pointer into that location", examples=["/operator/phone"]
    )
    field: str = Field(description="dotted field name", examples=["operator.phone"])
    code: str = Field(examples=["invalid_phone"])
    detail: str = Field(examples=["not a mainland mobile number"])


class ProblemDetails(BaseModel):
    """RFC 9457 problem details, with a stable machine ``code`` and per-field errors."""

    type: str = Field(examples=["urn:ruralnet:problem:validation_failed"])
    title: str = Field(examples=["Validation failed"])
    status: int = Field(examples=[422])
    detail: str = Field(examples=["1 field is invalid: body.tier"])
    code: str = Field(examples=["validation_failed"])
    instance: str | None = Field(default=None, examples=["/v1/stations"])
    request_id: str | None = None
    field: str | None = Field(default=None, description="the bad field, when there is one")
    errors: list[FieldProblem] | None = None


def field_problem(
    field: str,
    code: str,
    detail: str,
    *,
    detail_zh: str | None = None,
    location: str = "body",
) -> dict[str, str]:
    """A per-field error for a domain rule, e.g. ``field_problem("phone", "invalid_phone", …)``.

    ``detail_zh`` is what a client that asked for Chinese reads instead of ``detail``.
    """
    parts = [p for p in field.replace("[", ".").replace("]", "").split(".") if p]
    problem = {
        "location": location,
        "pointer": "/" + "/".join(parts),
        "field": field,
        "code": code,
        "detail": detail,
    }
    if detail_zh:
        problem["detail_zh"] = detail_zh
    return problem


def localized_errors(errors: Sequence[Mapping[str, str]], *, chinese: bool) -> list[dict[str, str]]:
    """Per-field errors as a client reads them: the Chinese detail when asked for and known."""
    out = []
    for error in errors:
        item = {k: v for k, v in error.items() if k != "detail_zh"}
        if chinese and error.get("detail_zh"):
            item["detail"] = error["detail_zh"]
        out.append(item)
    return out


# --- validators' own messages, in both languages -----------------------------------------------
#
# A custom validator says what is wrong in English and Chinese once, and every answer that
# reports it (a request's 422, a bulk row's result) shows the language the client asked for.
# Two ways, whichever suits the validator:
#
# - raise ``invalid(code, message, message_zh)`` (a pydantic error of type ``code``);
# - raise a ``ValueError`` that carries ``code`` and ``message_zh`` attributes, such as
#   ``InvalidValue``: the error is reported under its ``code`` instead of ``value_error``.

_ZH_CONTEXT = "zh"


def invalid(code: str, message: str, message_zh: str) -> PydanticCustomError:
    """A custom validator's error: ``raise invalid("invalid_phone", "not a …", "不是…")``."""
    return PydanticCustomError(code, "{reason}", {"reason": message, _ZH_CONTEXT: message_zh})


class InvalidValue(ValueError):
    """A value a parser refuses, with its stable code and its message in both languages."""

    def __init__(self, code: str, message: str, message_zh: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.message_zh = message_zh

    def pydantic(self) -> PydanticCustomError:
        return invalid(self.code, self.message, self.message_zh)


def text_validator(parse: Callable[[str], Any]) -> Callable[[Any], Any]:
    """A pydantic before-validator from a parser of text that raises ``InvalidValue``
    (``BeforeValidator(text_validator(normalize_mobile))``): the error keeps the parser's code
    and Chinese message; input that is not text is left to the field's own type."""

    def validate(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return parse(value)
        except InvalidValue as e:
            raise e.pydantic() from None

    return validate


class Problem(Exception):
    """Base of every error a client may see. Subclasses fix the status and default code."""

    status: ClassVar[int] = 400
    code: str = "bad_request"
    title: ClassVar[str] = "Bad request"
    title_zh: ClassVar[str] = "请求有误"

    def __init__(
        self,
        detail: str,
        *,
        detail_zh: str | None = None,
        code: str | None = None,
        field: str | None = None,
        location: str = "body",
        errors: Sequence[Mapping[str, str]] | None = None,
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.detail_zh = detail_zh
        if code is not None:
            self.code = code
        self.field = field
        self.errors = list(errors or [])
        if field is not None and not self.errors:
            self.errors = [
                field_problem(field, self.code, detail, detail_zh=detail_zh, location=location)
            ]
        self.headers = dict(headers or {})
        self.extensions = extensions

    @classmethod
    def openapi(cls, description: str | None = None) -> dict[int | str, dict[str, Any]]:
        return {
            cls.status: {
                "model": ProblemDetails,
                "description": description or cls.title,
                "content": {PROBLEM_JSON: {}},
            }
        }


class BadRequest(Problem):
    status = 400
    code = "bad_request"
    title, title_zh = "Bad request", "请求有误"


class Unauthorized(Problem):
    status = 401
    code = "unauthorized"
    title, title_zh = "Authentication required", "需要身份认证"


class Forbidden(Problem):
    status = 403
    code = "forbidden"
    title, title_zh = "Forbidden", "无权操作"


class NotFound(Problem):
    status = 404
    code = "not_found"
    title, title_zh = "Not found", "未找到"


class Conflict(Problem):
    status = 409
    code = "conflict"
    title, title_zh = "Conflict", "冲突"


class PreconditionFailed(Problem):
    status = 412
    code = "precondition_failed"
    title, title_zh = "Precondition failed", "前置条件不满足"


class UnsupportedMediaType(Problem):
    status = 415
    code = "unsupported_media_type"
    title, title_zh = "Unsupported media type", "不支持的内容类型"


class PreconditionRequired(Problem):
    status = 428
    code = "precondition_required"
    title, title_zh = "Precondition required", "缺少前置条件"


class Unprocessable(Problem):
    status = 422
    code = "unprocessable"
    title, title_zh = "Unprocessable request", "无法处理的请求"


class BadGateway(Problem):
    status = 502
    code = "bad_gateway"
    title, title_zh = "Bad gateway", "上游服务出错"


class ServiceUnavailable(Problem):
    status = 503
    code = "service_unavailable"
    title, title_zh = "Service unavailable", "服务暂不可用"


class GatewayTimeout(Problem):
    status = 504
    code = "gateway_timeout"
    title, title_zh = "Gateway timeout", "上游服务超时"


def problem_responses(*problems: tuple[type[Problem], str]) -> dict[int | str, dict[str, Any]]:
    """A route's ``responses=``: each problem class with what it means there, e.g.
    ``problem_responses((NotFound, "`station_not_found`"), (Unprocessable, "…"))``.

    OpenAPI has one entry per status, so two problems of one status share it and their
    descriptions are joined; merging ``X.openapi()`` dicts by hand keeps only the last.
    """
    merged: dict[int | str, dict[str, Any]] = {}
    for problem, description in problems:
        for status, entry in problem.openapi(description).items():
            if status in merged:
                merged[status]["description"] += "; " + description
            else:
                merged[status] = entry
    return merged


def wants_chinese(request: Request) -> bool:
    """True when the client prefers Chinese (``Accept-Language: zh``, ``zh-CN;q=0.9`` …)."""
    header = request.headers.get("accept-language", "")
    best, best_q = "", -1.0
    for part in header.split(","):
        lang, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if q > best_q:
            best, best_q = lang.strip().lower(), q
    return best.startswith("zh")


def problem_response(
    request: Request,
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    errors: Sequence[Mapping[str, str]] | None = None,
    field: str | None = None,
    headers: Mapping[str, str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"urn:ruralnet:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        # Where it happened, as a link the caller can follow (through the gateway, a gateway
        # URL); the path only, since query strings may carry personal data.
        "instance": public_url(request, request_path(request)),
    }
    headers = dict(headers or {})
    request_id = getattr(request.state, "request_id", None)
    if request_id:
        body["request_id"] = request_id
        # A 500 is sent by Starlette's outermost middleware, past the one that echoes the id.
        headers["X-Request-ID"] = request_id
    if field:
        body["field"] = field
    if errors:
        body["errors"] = list(errors)
    if extensions:
        body.update(extensions)
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


async def _handle_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return render_problem(request, exc)


def render_problem(request: Request, exc: Problem) -> JSONResponse:
    """The answer to a problem, for a layer outside FastAPI's handlers (the gateway's
    pass-through)."""
    zh = wants_chinese(request)
    errors = exc.errors
    return problem_response(
        request,
        status=exc.status,
        code=exc.code,
        title=exc.title_zh if zh else exc.title,
        detail=(exc.detail_zh or exc.detail) if zh else exc.detail,
        errors=localized_errors(errors, chinese=zh),
        field=exc.field or (errors[0]["field"] if len(errors) == 1 else None),
        headers=exc.headers,
        extensions=exc.extensions,
    )


# Chinese messages for the pydantic error types a client is likely to meet.
_ZH_VALIDATION = {
    "missing": "缺少必填字段",
    "string_too_short": "长度不能少于 {min_length}",
    "string_too_long": "长度不能超过 {max_length}",
    "string_pattern_mismatch": "格式不正确",
    "string_type": "应为字符串",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "finite_number": "应为有限的数字",
    "decimal_parsing": "应为数字",
    "decimal_type": "应为数字",
    "decimal_max_digits": "数字最多 {max_digits} 位",
    "decimal_max_places": "最多 {decimal_places} 位小数",
    "decimal_whole_digits": "整数部分最多 {whole_digits} 位",
    "bool_parsing": "应为是或否(true/false)",
    "bool_type": "应为是或否(true/false)",
    "greater_than": "必须大于 {gt}",
    "greater_than_equal": "必须大于或等于 {ge}",
    "less_than": "必须小于 {lt}",
    "less_than_equal": "必须小于或等于 {le}",
    "date_from_datetime_parsing": "日期格式不正确",
    "date_from_datetime_inexact": "应为日期,不能带时间",
    "date_parsing": "日期格式不正确",
    "date_type": "应为日期",
    "datetime_parsing": "时间格式不正确",
    "datetime_type": "应为时间",
    "datetime_from_date_parsing": "时间格式不正确",
    "time_parsing": "时刻格式不正确,例如 02:00",
    "time_type": "应为时刻,例如 02:00",
    "timezone_aware": "时间应带时区",
    "timezone_naive": "时间不应带时区",
    "int_parsing_size": "整数超出范围",
    "string_unicode": "应为有效的 Unicode 字符串",
    "multiple_of": "应为 {multiple_of} 的倍数",
    "set_type": "应为数组",
    "tuple_type": "应为数组",
    "extra_forbidden": "不允许的字段",
    "list_type": "应为数组",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "too_short": "至少需要 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "uuid_parsing": "不是有效的 UUID",
    "json_invalid": "不是有效的 JSON",
}


def _zh_choices(expected: str) -> str:
    """pydantic's "'a', 'b' or 'c'" as a Chinese list: a、b、c."""
    names = expected.replace(" or ", ", ").split(", ")
    return "、".join(name.strip().strip("'") for name in names if name.strip())


def _zh_message(error: Mapping[str, Any]) -> str:
    """The Chinese message of one pydantic error; never English words inside Chinese."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    own = ctx.get(_ZH_CONTEXT)
    if isinstance(own, str):
        return own
    if kind == "value_error":
        cause = ctx.get("error")
        message_zh = getattr(cause, "message_zh", None)
        return message_zh if isinstance(message_zh, str) else "取值无效"
    if kind in ("enum", "literal_error"):
        return f"取值应为以下之一:{_zh_choices(str(ctx.get('expected', '')))}"
    template = _ZH_VALIDATION.get(kind)
    if template is None:
        return "取值无效"
    try:
        return template.format(**ctx)
    except (KeyError, IndexError):
        return "取值无效"


def _error_code(error: Mapping[str, Any]) -> str:
    """A ``ValueError`` that names its own code is reported under it, not as value_error."""
    kind = str(error.get("type", "invalid"))
    if kind == "value_error":
        code = getattr((error.get("ctx") or {}).get("error"), "code", None)
        if isinstance(code, str):
            return code
    return kind


def validation_errors(
    raw: Sequence[Mapping[str, Any]], *, location: str | None = None
) -> list[dict[str, str]]:
    """pydantic's errors as our per-field errors, each with its Chinese detail.

    ``location``: where every error is (a bulk row's errors are all in the body); without it
    the first element of each error's ``loc`` says (``body``, ``query`` …), as FastAPI gives.
    """
    errors = []
    for e in raw:
        loc = [str(p) for p in e.get("loc", ())]
        where, parts = (
            (location, loc) if location is not None else (loc[0] if loc else "body", loc[1:])
        )
        errors.append(
            {
                "location": where,
                "pointer": "/" + "/".join(parts),
                "field": ".".join(parts) or where,
                "code": _error_code(e),
                "detail": str(e.get("msg", "invalid value")),
                "detail_zh": _zh_message(e),
            }
        )
    return errors


async def _handle_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    zh = wants_chinese(request)
    raw = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in raw):
        err = next(e for e in raw if e.get("type") == "json_invalid")
        reason = (err.get("ctx") or {}).get("error", "invalid JSON")
        loc = err.get("loc") or ()
        where = f"(第 {loc[1] + 1} 个字符处)" if len(loc) > 1 and isinstance(loc[1], int) else ""
        return problem_response(
            request,
            status=400,
            code="malformed_json",
            title="请求体不是有效的 JSON" if zh else "Malformed JSON",
            # The decoder's own words are English: a Chinese reader gets where it stopped.
            detail=f"请求体不是有效的 JSON{where}"
            if zh
            else f"The body is not valid JSON: {reason}",
            errors=localized_errors(
                [
                    field_problem(
                        "body",
                        "malformed_json",
                        str(reason),
                        detail_zh=f"不是有效的 JSON{where}",
                        location="body",
                    )
                ],
                chinese=zh,
            ),
        )
    errors = validation_errors(raw)
    names = [
        f"{e['location']}.{e['field']}" if e["field"] != e["location"] else e["field"]
        for e in errors
    ]
    if zh:
        detail = f"{len(errors)} 个字段无效:{'、'.join(names)}"
    else:
        detail = f"{len(errors)} field{'s' if len(errors) != 1 else ''} invalid: {', '.join(names)}"
    return problem_response(
        request,
        status=422,
        code="validation_failed",
        title="字段校验失败" if zh else "Validation failed",
        detail=detail,
        errors=localized_errors(errors, chinese=zh),
        field=errors[0]["field"] if len(errors) == 1 else None,
    )


_HTTP_CODES = {
    400: ("bad_request", "Bad request", "请求有误"),
    401: ("unauthorized", "Authentication required", "需要身份认证"),
    403: ("forbidden", "Forbidden", "无权操作"),
    404: ("not_found", "Not found", "未找到"),
    405: ("method_not_allowed", "Method not allowed", "不支持该请求方法"),
    406: ("not_acceptable", "Not acceptable", "无法提供所要求的格式"),
    413: ("payload_too_large", "Content too large", "请求体过大"),
    415: ("unsupported_media_type", "Unsupported media type", "不支持的内容类型"),
}


async def _handle_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    zh = wants_chinese(request)
    code, title, title_zh = _HTTP_CODES.get(
        exc.status_code, ("http_error", "HTTP error", "请求错误")
    )
    headers = exc.headers
    if exc.status_code == 404 and exc.detail == "Not Found":
        detail = (
            f"没有这个地址:{request.method} {request.url.path}"
            if zh
            else f"No route for {request.method} {request.url.path}"
        )
    elif exc.status_code == 405:
        # Starlette's Allow names the first route of the path only; the path may have others.
        shape = allowed_methods(request.app.router, request.url.path)
        allowed = allow_header(shape[0]) if shape else ""
        headers = {"Allow": allowed}
        detail = (
            f"{request.url.path} 不支持 {request.method},可用:{allowed}"
            if zh
            else f"{request.method} is not allowed on {request.url.path}; allowed: {allowed}"
        )
    elif exc.status_code == 413:
        limit = getattr(exc, "limit", None) or request.scope.get(MAX_BODY_SIZE_SCOPE_KEY)
        return content_too_large(request, limit or BODY_LIMIT)
    elif exc.status_code == 400 and exc.detail == "There was an error parsing the body":
        # FastAPI's words for a body its JSON parser gave up on (e.g. nested 1,000 deep).
        return problem_response(
            request,
            status=400,
            code="malformed_json",
            title="请求体不是有效的 JSON" if zh else "Malformed JSON",
            detail="请求体无法解析(例如嵌套过深)"
            if zh
            else "The body cannot be parsed (nested too deeply, for instance)",
            field="body",
        )
    else:
        # Starlette's and FastAPI's own words are English: the title says it in Chinese.
        detail = title_zh if zh else str(exc.detail)
    return problem_response(
        request,
        status=exc.status_code,
        code=code,
        title=title_zh if zh else title,
        detail=detail,
        headers=headers,
    )


def content_too_large(request: Request, limit: int) -> JSONResponse:
    """413 for a body over ``limit`` bytes. The connection stays open: the server then reads
    and drops the rest of the body, so the client, still sending, gets to read this answer
    (closing at once would reset the connection under it)."""
    zh = wants_chinese(request)
    code, title, title_zh = _HTTP_CODES[413]
    return problem_response(
        request,
        status=413,
        code=code,
        title=title_zh if zh else title,
        detail=f"请求体超过此接口允许的 {describe(limit)}"
        if zh
        else f"The body is larger than the {describe(limit)} this route accepts",
        extensions={"limit": limit},
    )


DATABASE_RETRY_AFTER = "5"


async def handle_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error", exc_info=exc)
    zh = wants_chinese(request)
    return problem_response(
        request,
        status=500,
        code="internal_error",
        title="内部错误" if zh else "Internal error",
        detail="服务器内部错误,已记录" if zh else "An internal error occurred and was logged",
    )


def install_error_handlers(app: FastAPI) -> None:
    from common.dberrors import handle_database  # it renders with this module's helpers

    app.add_exception_handler(Problem, _handle_problem)
    app.add_exception_handler(RequestValidationError, _handle_validation)
    app.add_exception_handler(StarletteHTTPException, _handle_http)
    app.add_exception_handler(sa_exc.SQLAlchemyError, handle_database)
    # Hot paths that query on the session's asyncpg connection directly raise its own errors.
    app.add_exception_handler(asyncpg.PostgresError, handle_database)
    app.add_exception_handler(OSError, handle_database)
    app.add_exception_handler(Exception, handle_unexpected)


def all_problems(
    problems: Sequence[Problem], *, code: str, detail: str, detail_zh: str
) -> Problem | None:
    """One problem for several found in one request, so the client learns them all at once:
    a single one as it is; several as ``code`` with every field error of each (the status
    of the first)."""
    if not problems:
        return None
    if len(problems) == 1:
        return problems[0]
    first = problems[0]
    combined = type(first)(
        f"{detail}: " + "; ".join(p.detail for p in problems),
        detail_zh=f"{detail_zh}:" + ";".join(p.detail_zh or p.detail for p in problems),
        code=code,
        errors=[e for p in problems for e in p.errors],
    )
    return combined
