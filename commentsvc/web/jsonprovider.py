"""Flask's JSON answers through orjson: several times faster than the standard library."""

from __future__ import annotations

from typing import Any

import orjson
from flask import Response
from flask.json.provider import DefaultJSONProvider


class OrjsonProvider(DefaultJSONProvider):
    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return orjson.dumps(obj, default=self.default).decode()

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return orjson.loads(s)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        obj = self._prepare_response_obj(args, kwargs)
        # The app's class is Flask's Response (typed here as the sans-I/O base class).
        response_class: type[Response] = self._app.response_class  # type: ignore[assignment]
        return response_class(orjson.dumps(obj, default=self.default), mimetype=self.mimetype)
