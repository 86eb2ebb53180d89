"""Starting a private env server for a vector environment (``kinitro env serve`` on a Unix socket)."""
from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import tempfile
import threading
import time
from typing import List, Optional, Sequence, Union

_LISTENING = re.compile(r"listening on (\S+)")


def kinitro_command(kinitro: Union[str, Sequence[str], None] = None) -> List[str]:
    """How to run the kinitro CLI: the argument, else $KINITRO_CMD, else ``kinitro`` on the PATH, else
    ``npx --no kinitro`` (which finds it when the current directory is a kinitro checkout)."""
    if kinitro is None:
        kinitro = os.environ.get("KINITRO_CMD") or shutil.which("kinitro") or "npx --no kinitro"
    return shlex.split(kinitro) if isinstance(kinitro, str) else list(kinitro)


HINT = "set KINITRO_CMD (e.g. 'npx --prefix /path/to/kinitro --no kinitro') or KINITRO_ENV_ADDRESS (a running `kinitro env serve`)"


class SpawnedServer:
    """A ``kinitro env serve`` child process that lives as long as its vector environment."""

    def __init__(self, kinitro: Union[str, Sequence[str], None] = None, training: bool = False, timeout: float = 120.0, threads: Optional[int] = None):
        self.dir = tempfile.mkdtemp(prefix="kinitro-env-")  # 0700: nobody else can reach the socket
        socket_path = os.path.join(self.dir, "env.sock")
        args = kinitro_command(kinitro) + ["env", "serve", "--socket", socket_path, "--log-level", "warn"]
        if training:
            args.append("--training")
        if threads is not None:
            args += ["--threads", str(int(threads))]
        try:
            self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
        except OSError as err:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise RuntimeError(f"cannot run {' '.join(args)}: {err}; {HINT}") from None
        self.address: Optional[str] = None
        self._lines: List[str] = []
        found = threading.Event()

        def drain(stream, keep: bool) -> None:
            # Keep reading so the child never blocks on a full pipe.
            for line in stream:
                if keep and len(self._lines) < 200:
                    self._lines.append(line.rstrip())
                match = _LISTENING.search(line)
                if match and self.address is None:
                    self.address = match.group(1)
                    found.set()
            found.set()

        threading.Thread(target=drain, args=(self.process.stdout, False), daemon=True).start()
        threading.Thread(target=drain, args=(self.process.stderr, True), daemon=True).start()
        deadline = time.monotonic() + timeout
        while not found.wait(0.1):
            if time.monotonic() > deadline:
                self.close()
                raise TimeoutError(f"kinitro env serve did not start within {timeout:.0f} s: {' '.join(args)}")
        if self.address is None:
            code = self.process.wait(timeout=5)
            shutil.rmtree(self.dir, ignore_errors=True)
            raise RuntimeError(f"kinitro env serve exited ({code}): {' '.join(args)}; {HINT}\n" + "\n".join(self._lines[-20:]))

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
