"""Dashboard sessions without a browser: a client that speaks Streamlit's websocket protocol as its frontend does,
so that many sessions can view pages of the real server (`streamlit run dashboard/app.py`) at once.

The protocol, as Streamlit 1.67's server (streamlit/web/server/starlette/starlette_websocket.py) and frontend use it:

- One websocket per browser tab, at ws://HOST:PORT/_stcore/stream. The Sec-WebSocket-Protocol header carries
  "streamlit" (the subprotocol the server selects), then optionally an XSRF token and a session id to reconnect to.
  The XSRF token only matters for reading a signed-in user's cookie, and a connection without an Origin header is
  accepted, so this client sends just "streamlit" and no Origin.
- Nothing runs until the client asks: a binary BackMsg `rerun_script` carrying a ClientState with the page (the
  first segment of the browser's address, as `page_name`; "" for the default page, which the server matches against
  each st.Page's url_path), the query string (without "?") and the hashes of the messages the client has cached.
- The server answers with binary ForwardMsgs, one per frame: `new_session` when the run starts, `delta`s that add
  elements and blocks at a `metadata.delta_path`, and `script_finished` when it ends (FINISHED_EARLY_FOR_RERUN means
  another run follows, e.g. after st.rerun). A delta is sent as a `ref_hash` in place of its body when the client
  said it holds that message: large elements (`metadata.cacheable`) are kept here, as the frontend keeps them, and
  forgotten after MAX_CACHED_RUNS runs without use.
"""

from __future__ import annotations

import random
import re
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Self
from urllib.parse import urlsplit

import pyarrow.ipc
from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.sync.client import connect

STREAM_PATH = "/_stcore/stream"
SUBPROTOCOL = "streamlit"
MAX_CACHED_RUNS = 2  # the frontend's global.maxCachedMessageAge: a cached message unused for this many runs is dropped
VIEW_TIMEOUT = 120.0  # seconds a view may take before the client gives up on it
NOT_DRAWN = {"empty"}  # element types that draw nothing (placeholders left empty, spinners cleared)
TEXT_ELEMENTS = ("heading", "markdown", "alert")  # element types whose text a view records


@dataclass(frozen=True)
class View:
    """One page view as the client saw it: the script's run from the rerun request to its script_finished."""

    url_path: str  # the page's path in the address ("" for the default page)
    query: str  # the query string asked for, without "?"
    seconds: float  # from sending the rerun request to receiving script_finished
    exception: str | None  # the first exception element or error alert drawn (or why the view failed), else None
    elements: int  # elements drawn (not counting empty placeholders)
    texts: list[str]  # the text of every heading, markdown (captions too) and alert, in page order
    title: str | None  # the text of the first level-1 heading
    tables: list[list[dict]] = field(default_factory=list)  # every dataframe's rows, when the session keeps tables
    session: int | None = None  # which of run_sessions' sessions saw it
    round: int | None = None  # in which of run_sessions' rounds


class Session:
    """One dashboard session (one browser tab): `with Session(base) as tab: tab.view("issues", "body=DCMS")`.

    Views run one after another on the same connection, as a reader moving between pages and links would; a
    session's widgets keep their state between views as they would in the browser. `keep_tables` decodes every
    dataframe into View.tables (off by default: a load test does not need the rows)."""

    def __init__(self, base_url: str, *, keep_tables: bool = False, timeout: float = VIEW_TIMEOUT) -> None:
        address = urlsplit(base_url)
        self.stream_url = f"ws://{address.netloc}{address.path.rstrip('/')}{STREAM_PATH}"
        self.keep_tables = keep_tables
        self.timeout = timeout
        self._connection = None  # websockets' connect(), a context manager
        self._socket = None  # the connection it opened
        self._cached: dict[str, tuple[ForwardMsg, int]] = {}  # message hash -> (message, the run it was last used in)
        self._runs = 0

    def __enter__(self) -> Self:
        # proxy=None: never through a proxy from the environment; max_size=None: charts can exceed 1 MiB;
        # ping_interval=None: a browser sends no pings, and a busy server late with a pong must not end the session
        self._connection = connect(self.stream_url, subprotocols=[SUBPROTOCOL], proxy=None, max_size=None,
                                   ping_interval=None, open_timeout=self.timeout)
        self._socket = self._connection.__enter__()
        return self

    def __exit__(self, *exc_info) -> None:
        self._connection.__exit__(*exc_info)

    def view(self, url_path: str, query: str = "") -> View:
        """Ask for the page at `url_path`, its path in the address ("issues"; "" for the default page, as a browser
        at the root asks), with `query` ("body_type=local_authority&region=E12000003"), and read the run to its end."""
        request = BackMsg()
        request.rerun_script.page_name = url_path.strip("/")
        request.rerun_script.query_string = query.removeprefix("?")
        request.rerun_script.cached_message_hashes.extend(self._cached)
        started = time.perf_counter()
        deadline = started + self.timeout
        self._socket.send(request.SerializeToString())
        drawn: dict[tuple[int, ...], object] = {}  # delta path -> element, this run
        problems: list[str] = []
        running = False
        while True:
            message = self._receive(deadline)
            kind = message.WhichOneof("type")
            if kind == "new_session":  # a run starts: whatever came before it belonged to the previous view
                running, drawn, problems = True, {}, []
            elif not running:
                continue
            elif kind == "delta":
                self._draw(message, drawn)
            elif kind == "page_not_found":
                problems.append(f"page not found: {url_path!r}")
            elif kind == "session_event" and message.session_event.HasField("script_compilation_exception"):
                problems.append(f"script did not compile: {message.session_event.script_compilation_exception.message}")
            elif kind == "script_finished":
                self._forget_unused()
                if message.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    break
        seconds = time.perf_counter() - started
        return self._view(url_path, query, seconds, drawn, problems)

    def _receive(self, deadline: float) -> ForwardMsg:
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            raise TimeoutError(f"no script_finished within {self.timeout:.0f} s")
        try:
            data = self._socket.recv(timeout=remaining)
        except TimeoutError:
            raise TimeoutError(f"no script_finished within {self.timeout:.0f} s") from None
        message = ForwardMsg()
        message.ParseFromString(data)
        if message.WhichOneof("type") == "ref_hash":  # "you have this one": the cached body, with this metadata
            cached, _ = self._cached[message.ref_hash]
            body = ForwardMsg()
            body.CopyFrom(cached)
            body.metadata.CopyFrom(message.metadata)
            self._cached[message.ref_hash] = (cached, self._runs)
            return body
        if message.metadata.cacheable:
            self._cached[message.hash] = (message, self._runs)
        return message

    def _forget_unused(self) -> None:
        self._runs += 1
        self._cached = {h: (m, used) for h, (m, used) in self._cached.items() if self._runs - used <= MAX_CACHED_RUNS}

    @staticmethod
    def _draw(message: ForwardMsg, drawn: dict) -> None:
        path = tuple(message.metadata.delta_path)
        kind = message.delta.WhichOneof("type")
        if kind == "new_element":
            drawn[path] = message.delta.new_element
        elif kind == "add_block":  # a container replaces whatever was at its place
            drawn.pop(path, None)

    def _view(self, url_path: str, query: str, seconds: float, drawn: dict, problems: list[str]) -> View:
        elements = [drawn[path] for path in sorted(drawn)]
        elements = [e for e in elements if e.WhichOneof("type") not in NOT_DRAWN]
        texts, title, tables = [], None, []
        for element in elements:
            kind = element.WhichOneof("type")
            if kind == "exception":
                named = f"{element.exception.type}: " if element.exception.type else ""  # "" when details are hidden
                problems.append(f"exception: {named}{element.exception.message}")
            elif kind == "alert" and element.alert.format == Alert.ERROR:
                problems.append(f"error alert: {element.alert.body}")
            if kind in TEXT_ELEMENTS:
                texts.append(getattr(element, kind).body)
            if kind == "heading" and element.heading.tag == "h1" and title is None:
                title = element.heading.body
            if kind == "dataframe" and self.keep_tables:
                tables.append(_rows(element.dataframe))
        return View(url_path, query, seconds, problems[0] if problems else None, len(elements), texts, title, tables)


def _rows(dataframe) -> list[dict]:
    """A dataframe element's rows (of its first chunk, if the server sends it lazily)."""
    data = dataframe.arrow_data.data or dataframe.lazy_data.initial_chunk.data
    return pyarrow.ipc.open_stream(data).read_all().to_pylist() if data else []


Pages = Sequence[tuple[str, str]]  # (url_path, query) pairs


def run_sessions(base: str, views: Pages | Callable[[int], Pages], sessions: int = 20, rounds: int = 1,
                 timeout: float = VIEW_TIMEOUT, think: float = 0.0) -> list[View]:
    """`sessions` concurrent sessions (one thread each) that each view every (url_path, query) of `views` in turn,
    `rounds` times; `views` may instead be a function giving session n its own list. All sessions connect before
    any starts viewing. With `think` > 0 a session pauses between views as a reader does, for a random time of that
    mean (exponentially distributed, seeded by the session number); with 0 it asks for the next view at once. A view
    that fails in the client (the connection dropped, no script_finished within `timeout` seconds) is recorded with
    the failure as its exception and ends that session's views. Returns every view, each with its session and round."""
    ready = threading.Barrier(sessions)

    def one_session(number: int) -> list[View]:
        pages = views(number) if callable(views) else views
        pause = random.Random(number)
        seen: list[View] = []
        with Session(base, timeout=timeout) as tab:
            ready.wait(timeout=timeout)
            for round_number in range(rounds):
                for url_path, query in pages:
                    if think and seen:
                        time.sleep(pause.expovariate(1 / think))  # a reader reading, not synchronisation
                    started = time.perf_counter()
                    try:
                        view = tab.view(url_path, query)
                    except Exception as failure:  # noqa: BLE001 - recorded as the view's result
                        seen.append(View(url_path, query, time.perf_counter() - started, f"client: {failure!r}", 0, [],
                                         None, session=number, round=round_number))
                        return seen
                    seen.append(replace(view, session=number, round=round_number))
        return seen

    with ThreadPoolExecutor(max_workers=sessions) as pool:
        return [view for seen in pool.map(one_session, range(sessions)) for view in seen]


# --- the server, seen from outside --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Memory:
    """A process's memory now and at its peak, in bytes (Linux /proc: VmRSS and VmHWM)."""

    rss: int
    peak: int


def process_memory(pid: int) -> Memory:
    fields = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                fields[name] = int(value.split()[0]) * 1024  # "315080 kB"
    return Memory(fields["VmRSS"], fields["VmHWM"])


def cache_sizes(base: str) -> dict[str, float]:
    """What Streamlit's metrics endpoint (/_stcore/metrics) says each cache holds, by cached function
    ('dashboard.queries._run'): bytes for st.cache_data, and for st.cache_resource the number of entries (the cheap
    count Streamlit reports unless server.enableExpensiveMemoryStats is set)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # 127.0.0.1, never through a proxy
    with opener.open(f"{base.rstrip('/')}/_stcore/metrics?families=cache_memory_bytes", timeout=30) as answer:
        text = answer.read().decode("utf-8")
    sizes = {}
    for line in text.splitlines():  # cache_memory_bytes{cache_type="st_cache_data",cache="dashboard.queries._run"} 2731978
        found = re.fullmatch(r'cache_memory_bytes\{.*cache="([^"]+)".*\} (\S+)', line)
        if found:
            sizes[found[1]] = float(found[2])
    return sizes


def answers(base: str, timeout: float = 5) -> bool:
    """Whether the server still answers its health check (a hung server does not)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{base.rstrip('/')}/_stcore/health", timeout=timeout) as answer:
            return answer.read() == b"ok"
    except OSError:
        return False
