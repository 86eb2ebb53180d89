"""Runs INSIDE the spot-check sandbox (kinitro's own code, mounted read-only next to the miner's).

It starts the miner's committed server (`python3 server.py` in /app, the same entry point the
template's Dockerfile and Basilica bootstrap run) on the sandbox's private loopback, waits for
GET /health, then replays the requests it reads from stdin (one JSON document:
{"requests": [{"path": "/reset", "body": {...}}, {"path": "/act", "body": {...}}, ...]}) and writes one
JSON line per answer to stdout: {"status": int, "body": <parsed JSON or null>}. The miner's own output
goes to stderr. Standard library only: the sandbox holds nothing else of ours.
"""
import http.client
import json
import os
import subprocess
import sys
import time

PORT = int(os.environ.get("PORT", "8001"))
START_SECONDS = float(os.environ.get("KINITRO_SANDBOX_START_SECONDS", "60"))
CALL_SECONDS = float(os.environ.get("KINITRO_SANDBOX_CALL_SECONDS", "30"))


def emit(doc):
    sys.stdout.write(json.dumps(doc, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def main():
    spec = json.loads(sys.stdin.read())
    server = subprocess.Popen([sys.executable, "server.py"], cwd="/app", stdout=sys.stderr, stderr=sys.stderr, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + START_SECONDS
    while True:
        if server.poll() is not None:
            emit({"fatal": "the committed server exited with status %d before answering /health" % server.returncode})
            return
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                conn.close()
                break
        except OSError:
            pass
        if time.monotonic() > deadline:
            emit({"fatal": "the committed server did not answer /health within %ds" % START_SECONDS})
            server.kill()
            return
        time.sleep(0.05)
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=CALL_SECONDS)
    for request in spec["requests"]:
        try:
            body = json.dumps(request["body"]).encode("utf-8")
            conn.request("POST", request["path"], body=body, headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            raw = response.read()
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = None
            emit({"status": response.status, "body": parsed})
        except Exception as err:  # the server died or hung: report it, stop replaying
            emit({"fatal": "%s on %s: %s" % (type(err).__name__, request["path"], err)})
            break
    server.kill()


if __name__ == "__main__":
    main()
