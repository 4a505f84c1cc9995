"""The command line as a client of a running node's API: one call, its failures said in
words (the node unreachable, not a node, a refusal with every problem at its place)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from singlewindow.core.paths import api_url


class CommandFailed(Exception):
    """A command cannot go on, for a reason its user can fix: said in one line."""


def read_json(file: Path) -> Any:
    """The JSON in `file`, or a CommandFailed saying what is wrong with it and where."""
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CommandFailed(f"{file}: no such file") from None
    except IsADirectoryError:
        raise CommandFailed(f"{file}: is a directory, not a JSON file") from None
    except UnicodeDecodeError as error:
        raise CommandFailed(f"{file}: not UTF-8 text (byte {error.start})") from None
    except OSError as error:
        raise CommandFailed(f"{file}: cannot read it ({error.strerror})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise CommandFailed(
            f"{file}: invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}"
        ) from None


def read_json_object(file: Path, what: str) -> dict[str, Any]:
    """The JSON object in `file`, `what` the command reads there (said when it is not one)."""
    document = read_json(file)
    if not isinstance(document, dict):
        raise CommandFailed(f"{file}: {what} is a JSON object, not a "
                            f"{type(document).__name__}")
    return document


class Refused(Exception):
    """The node refused the request: its status, title, detail and each problem's place."""

    def __init__(self, status: int, title: str, detail: str, problems: list[str]) -> None:
        super().__init__(f"{status} {title}: {detail}")
        self.status, self.title, self.detail, self.problems = status, title, detail, problems
        self.hint: str | None = None  # what the command knows to say next (a new LRN, ...)


def call(node: str, token: str, method: str, path: str, body: Any = None,
         timeout: float = 30) -> Any:
    """`method` `path` (under the API's /api/v1) on the node at `node`, as the user whose
    token is given; the JSON it answers. A 4xx or 5xx raises `Refused`."""
    url = f"{api_url(node)}{path}"
    try:
        response = httpx.request(method, url, json=body, timeout=timeout,
                                 headers={"Authorization": f"Bearer {token}"})
    except httpx.ConnectError:
        raise CommandFailed(f"cannot reach the node at {node}: is it running, "
                            "and is the URL right?") from None
    except httpx.TimeoutException:
        raise CommandFailed(f"the node at {node} did not answer within {timeout:g} s") from None
    except (httpx.HTTPError, httpx.InvalidURL) as error:
        raise CommandFailed(f"cannot send to {node}: {error}") from None
    try:
        answer = response.json()
    except ValueError:
        kind = response.headers.get("content-type", "no content type").split(";")[0]
        raise CommandFailed(f"{url} answered {response.status_code} with {kind}, not a "
                            "node's JSON: is --node the URL of a node?") from None
    if response.status_code >= 400:
        if not isinstance(answer, dict):
            answer = {}
        problems = [f"{p.get('path') or '(body)'}: {p.get('message')}"
                    for p in answer.get("errors") or [] if isinstance(p, dict)]
        raise Refused(response.status_code, str(answer.get("title", "")),
                      str(answer.get("detail") or response.reason_phrase), problems)
    return answer
