"""Your policy. Replace the random stub in ``act`` with your model.

The server (server.py) creates ONE RobotPolicy at start-up, calls ``load()`` once, then:
  - ``reset(task_config)`` on every ``POST /reset``, at the start of an episode. ``task_config``
    names the task ({"env_id": "metaworld/push-v3", "env_name": "metaworld", "task_name":
    "push-v3", "episode_id": "..."}); it never carries the seed or the scene. Return an episode id
    (any string) or None. Budget: 5 s.
  - ``act(obs)`` on every ``POST /act``, once per control step (up to 500 per episode). Return an
    Action (``make_action(move, gripper)``), a dict, or a flat array [vx, vy, vz, wx, wy, wz, g].
    Budget: 0.5 s per call, measured by the validator from sending the request to reading your whole
    answer; aim for well under 50 ms.

Several episodes at once: the server declares ``max_concurrent_episodes`` in ``GET /health``, and a
validator runs up to that many of your episodes at the same time (ONE at a time for a server that
declares nothing). It names each episode: ``task_config["episode_id"]`` at reset and
``obs.extra["episode_id"]`` (``obs.episode_id``) in every observation of it. Keep per-episode memory
under that id, as below. ``act`` is called from several threads at once: keep shared state behind
the lock. Declare only as many episodes as your machine answers in time all at once.

What an observation holds (``rl_interface.Observation``):
  obs.proprio["ee_pos"]            fingertip centre [x, y, z] (m); also ee_quat, ee_vel_lin,
                                   ee_vel_ang, gripper [0 open … 1 closed]
  obs.proprio_array()              those 14 values as one float32 vector (alphabetical channels)
  obs.image("corner"), ("corner2") (84, 84, 3) uint8 camera images
  obs.intrinsics(cam), obs.extrinsics(cam)   the calibration (see camera.py)
The object and goal positions are NOT given: they are in the pictures.

Determinism (validators spot-check it, docs/verification.md): the same reset task_config followed by
the same observations must give the same actions from the code you committed. Draw randomness only
from ``EpisodeState.rng`` (seeded from the episode id) and keep no state across episodes.
"""
from __future__ import annotations

import hashlib
import os
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Dict, Optional

import numpy as np

from rl_interface import Action, Observation, make_action


@dataclass
class EpisodeState:
    """What the policy remembers during one episode. Add your own (a goal seen in the first frame, …)."""

    task: Dict[str, Any] = field(default_factory=dict)
    steps: int = 0
    # Seeded from the episode id: the same episode replayed gives the same actions.
    rng: np.random.Generator = field(default_factory=lambda: episode_rng(""))


def episode_rng(episode_id: str) -> np.random.Generator:
    return np.random.default_rng(int.from_bytes(hashlib.sha256(episode_id.encode("utf-8")).digest()[:8], "big"))


class RobotPolicy:
    def __init__(self) -> None:
        # Reported by GET /health. Set it once your weights are loaded.
        self.model_loaded = False
        # Declared in GET /health ($MAX_CONCURRENT_EPISODES, default 8).
        self.max_concurrent_episodes = max(1, int(os.environ.get("MAX_CONCURRENT_EPISODES", "8") or 1))
        self._episodes: "OrderedDict[str, EpisodeState]" = OrderedDict()
        # Observations without an id (an older validator) belong to the last reset's episode.
        self._latest = ""
        self._lock = threading.Lock()

    def load(self) -> None:
        """Load weights, warm up caches, … Called once before the server starts listening."""
        self.model_loaded = True

    def reset(self, task_config: Dict[str, Any]) -> Optional[str]:
        given = task_config.get("episode_id")
        episode_id = given if isinstance(given, str) and given else secrets.token_hex(8)
        with self._lock:
            self._episodes.pop(episode_id, None)
            self._episodes[episode_id] = EpisodeState(task=dict(task_config), rng=episode_rng(str(given or "")))
            # Finished episodes are never announced: forget the oldest beyond a few times the capacity.
            while len(self._episodes) > 4 * self.max_concurrent_episodes:
                self._episodes.popitem(last=False)
            self._latest = episode_id
        return episode_id

    def act(self, obs: Observation) -> Action:
        episode = self._episode_of(obs)
        episode.steps += 1
        # episode.task["env_id"] says which task this is; obs holds images, calibration, proprio.
        move = episode.rng.uniform(-1.0, 1.0, size=3)
        return make_action(move, gripper=float(episode.rng.uniform(0.0, 1.0)))

    def _episode_of(self, obs: Observation) -> EpisodeState:
        with self._lock:
            episode_id = obs.episode_id or self._latest
            episode = self._episodes.get(episode_id)
            if episode is None:
                # An episode we never saw reset (e.g. after a restart): start it afresh.
                episode = self._episodes[episode_id] = EpisodeState(rng=episode_rng(episode_id))
            return episode
