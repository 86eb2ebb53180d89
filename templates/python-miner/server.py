"""The policy server a Kinitro validator talks to (the original template's protocol):

    GET  /health  -> {"status": "healthy", "model_loaded": bool, "uptime_seconds": float,
                      "max_concurrent_episodes": int}
    POST /reset   {"task_config": {"env_id", "env_name", "task_name", "episode_id", ...}}
                  -> {"status": "ok", "episode_id": str | null}
    POST /act     {"obs": Observation} -> {"action": Action}      (422 on a malformed observation)

Errors answer {"detail": ...}: 422 with a list of {loc, msg, type} for malformed requests (FastAPI's
format), 500 with the message when the policy raises. Put your model in policy.py; you rarely need to
change this file.

Run it with the standard library and numpy only:   python3 server.py   ($HOST, $PORT; default
0.0.0.0:8001). It speaks HTTP/1.1 with keep-alive (validators reuse one connection per episode),
answers each connection in its own thread, and turns Nagle's algorithm off on every connection:
without TCP_NODELAY a small answer can wait ~40 ms for the validator's delayed ACK, on every /act.

With FastAPI and uvicorn installed you may serve the same app with them instead:
    uvicorn server:app --host 0.0.0.0 --port 8001
"""
import json
import os
import signal
import sys
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Optional, Tuple

from policy import RobotPolicy
from rl_interface import Observation, ValidationError, to_action

# Two 84×84 images are ~57 KB of base64; leave room for bigger cameras.
MAX_BODY_BYTES = 8 * 1024 * 1024
# Act requests slower than this are always logged.
SLOW_ACT_SECONDS = 0.1


def log(level: str, message: str, **fields: Any) -> None:
    """One JSON line per event on stdout (timestamp, level, logger, message, extra fields)."""
    record = {"timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + "Z", "level": level, "logger": "kinitro.policy", "message": message, **fields}
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()


def _invalid(loc: list, msg: str, kind: str) -> Tuple[int, Dict[str, Any]]:
    return 422, {"detail": [{"loc": loc, "msg": msg, "type": kind}]}


class PolicyApp:
    """The protocol, independent of the HTTP server: (method, path, body bytes) -> (status, JSON)."""

    def __init__(self, policy: RobotPolicy) -> None:
        self.policy = policy
        self.started = time.monotonic()
        self.acts = 0

    def health(self) -> Dict[str, Any]:
        return {
            "status": "healthy",
            "model_loaded": bool(self.policy.model_loaded),
            "uptime_seconds": time.monotonic() - self.started,
            "max_concurrent_episodes": int(self.policy.max_concurrent_episodes),
        }

    def handle(self, method: str, path: str, body: bytes) -> Tuple[int, Dict[str, Any]]:
        path = path.split("?", 1)[0]
        routes = {"/health": "GET", "/reset": "POST", "/act": "POST"}
        if path not in routes:
            return 404, {"detail": "Not Found"}
        if method != routes[path]:
            return 405, {"detail": "Method Not Allowed"}
        if path == "/health":
            return 200, self.health()
        try:
            payload = json.loads(body) if body else None
        except (ValueError, UnicodeDecodeError, RecursionError) as err:
            return _invalid(["body"], f"JSON decode error: {err}", "json_invalid")
        if not isinstance(payload, dict):
            return _invalid(["body"], "Input should be a valid dictionary", "dict_type")
        try:
            return self.reset(payload) if path == "/reset" else self.act(payload)
        except Exception as err:  # the policy failed: tell the validator why
            log("error", "request failed", path=path, error=str(err), trace=traceback.format_exc(limit=5))
            return 500, {"detail": str(err) or type(err).__name__}

    def reset(self, payload: Dict[str, Any]) -> Tuple[int, Dict[str, Any]]:
        task_config = payload.get("task_config", {})
        if not isinstance(task_config, dict):
            return _invalid(["body", "task_config"], "Input should be a valid dictionary", "dict_type")
        episode_id = self.policy.reset(task_config)
        log("info", "reset", env_id=task_config.get("env_id"), episode_id=episode_id)
        return 200, {"status": "ok", "episode_id": episode_id}

    def act(self, payload: Dict[str, Any]) -> Tuple[int, Dict[str, Any]]:
        t0 = time.perf_counter()
        if "obs" not in payload:
            return _invalid(["body", "obs"], "Field required", "missing")
        try:
            obs = Observation.from_dict(payload["obs"], loc=("body", "obs"))
        except ValidationError as err:
            return 422, {"detail": err.errors()}
        action = to_action(self.policy.act(obs))
        self.acts += 1
        seconds = time.perf_counter() - t0
        if self.acts % 100 == 0 or seconds > SLOW_ACT_SECONDS:
            log("warning" if seconds > SLOW_ACT_SECONDS else "info", "act", requests=self.acts, ms=round(seconds * 1000, 1))
        return 200, {"action": action.to_dict()}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    disable_nagle_algorithm = True  # TCP_NODELAY on every accepted connection
    server_version = "kinitro-miner"
    # A connection idle this long is closed (validators send an episode's requests back to back), so
    # clients that open connections and send nothing cannot pin threads forever.
    timeout = 120
    app: PolicyApp  # set by create_server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        pass  # one JSON line per event instead (see log)

    def _reply(self, status: int, payload: Dict[str, Any]) -> None:
        body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _serve(self) -> None:
        body = b""
        if self.command == "POST":
            length = self.headers.get("Content-Length")
            if self.headers.get("Transfer-Encoding") or length is None:
                self.close_connection = True
                return self._reply(411, {"detail": "a Content-Length header is required"})
            try:
                size = int(length)
            except ValueError:
                size = -1
            if size < 0 or size > MAX_BODY_BYTES:
                self.close_connection = True
                return self._reply(413, {"detail": f"the body must be 0..{MAX_BODY_BYTES} bytes"})
            body = self.rfile.read(size)
        status, payload = self.app.handle(self.command, self.path, body)
        self._reply(status, payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve


class PolicyServer(ThreadingHTTPServer):
    daemon_threads = True
    # Several validators' connections may arrive together.
    request_queue_size = 64


def create_server(policy: Optional[RobotPolicy] = None, host: str = "0.0.0.0", port: int = 8001) -> PolicyServer:
    """A ready server (not yet serving): ``server.serve_forever()``; ``server.server_address[1]`` is the port."""
    policy = policy if policy is not None else RobotPolicy()
    if not policy.model_loaded:
        policy.load()
    handler = type("Handler", (_Handler,), {"app": PolicyApp(policy)})
    return PolicyServer((host, port), handler)


def __getattr__(name: str) -> Any:
    """``server.app``: the same protocol as a FastAPI app, for ``uvicorn server:app`` (needs fastapi)."""
    if name != "app":
        raise AttributeError(name)
    from fastapi import FastAPI, Request  # optional dependency: imported only when asked for
    from fastapi.concurrency import run_in_threadpool
    from fastapi.responses import JSONResponse

    policy = RobotPolicy()
    policy.load()
    core = PolicyApp(policy)
    fastapi_app = FastAPI(title="Robotics Policy Server")

    # (No `from __future__ import annotations` in this file: FastAPI reads the Request annotation below.)
    @fastapi_app.api_route("/{path:path}", methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
    async def route(request: Request, path: str) -> JSONResponse:
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return JSONResponse({"detail": f"the body must be 0..{MAX_BODY_BYTES} bytes"}, status_code=413)
        # The policy is synchronous: run it off the event loop, so concurrent episodes overlap.
        status, payload = await run_in_threadpool(core.handle, request.method, "/" + path, body)
        return JSONResponse(payload, status_code=status)

    globals()["app"] = fastapi_app
    return fastapi_app


def main() -> None:
    host = os.environ.get("HOST", "0.0.0.0")
    port = int(os.environ.get("PORT", "8001"))
    server = create_server(host=host, port=port)
    bound = server.server_address[1]
    log("info", "policy server listening", host=host, port=bound, url=f"http://{'127.0.0.1' if host == '0.0.0.0' else host}:{bound}")

    def stop(signum: int, _frame: Any) -> None:
        log("info", "shutting down", signal=signal.Signals(signum).name)
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.serve_forever(poll_interval=0.5)
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
