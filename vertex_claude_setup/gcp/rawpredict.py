"""Claude's ``count-tokens:rawPredict`` and ``rawPredict`` on Vertex AI, sent as the anthropic SDK sends them.

A probe is a tiny request whose answer is only a status and, for errors, Google's error body. Building it
through ``AsyncAnthropicVertex`` costs the SDK's import (~0.7 s of CPU, ~85 MiB) and ~0.3 ms of CPU per
request; this sends the same method, path, host and JSON body over one aiohttp pool
(``tests/availability/test_probe_wire.py`` compares them with the SDK's own request). The smoke test keeps
the real SDK: there the SDK is the point.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from vertex_claude_setup import __version__

from .session import VERTEX_ANTHROPIC_VERSION

if TYPE_CHECKING:
    import aiohttp

    from .session import GoogleApis

Mode = Literal["count_tokens", "generate"]


@dataclass(frozen=True)
class Answer:
    """What came back: the HTTP status and, for an error, the body (decoded JSON, else its text)."""

    status: int
    body: Any = None


def url(google: GoogleApis, project: str, region: str, model: str, mode: Mode) -> str:
    """The SDK's URL: the model in the path (``generate``), or ``count-tokens`` with the model in the body."""
    target = "count-tokens" if mode == "count_tokens" else model
    return (f"{google.claude_base_url(region)}/projects/{project}/locations/{region}/publishers/anthropic/models/"
            f"{target}:rawPredict")


def body(model: str, mode: Mode, messages: list[dict[str, str]]) -> bytes:
    """The SDK's body (compact JSON, its key order) with Vertex's documented ``anthropic_version``."""
    if mode == "count_tokens":
        payload: dict[str, Any] = {"messages": messages, "model": model}
    else:
        payload = {"max_tokens": 1, "messages": messages}
    payload["anthropic_version"] = VERTEX_ANTHROPIC_VERSION
    return json.dumps(payload, separators=(",", ":")).encode()


class RawPredict:
    """One aiohttp pool for every Vertex AI host of one event loop (aiohttp keys connections by host)."""

    def __init__(self, google: GoogleApis) -> None:
        self.google = google
        self._session: aiohttp.ClientSession | None = None

    def _pool(self) -> aiohttp.ClientSession:
        if self._session is None:
            import aiohttp

            # aiohttp's own verifying TLS context (made once, when it is imported); no cap on connections
            # here: the prober's semaphores bound them per host and overall. Connections are kept alive (as
            # the SDK keeps them): past the first wave of probes a connection serves the next one, which
            # halves an audit's CPU per probe at ~800 pairs (connect and close cost as much as the request).
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                                  cookie_jar=aiohttp.DummyCookieJar())
        return self._session

    async def send(self, project: str, region: str, model: str, mode: Mode, messages: list[dict[str, str]],
                   timeout: float) -> Answer:
        """POST one request; raises ``asyncio.TimeoutError`` or ``aiohttp.ClientError`` when no answer came."""
        import aiohttp

        headers = {"accept": "application/json", "content-type": "application/json",
                   "user-agent": f"vertex-claude-setup/{__version__}",
                   "authorization": f"Bearer {self.google.access_token()}",
                   **self.google.vertex_headers(region)}
        async with self._pool().post(url(self.google, project, region, model, mode), data=body(model, mode, messages),
                                     headers=headers, timeout=aiohttp.ClientTimeout(total=timeout)) as resp:
            raw = await resp.read()
            if resp.status < 400:
                return Answer(resp.status)
            text = raw.decode("utf-8", "replace")
            try:
                return Answer(resp.status, json.loads(text))
            except ValueError:
                return Answer(resp.status, text)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
