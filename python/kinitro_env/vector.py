"""The Kinitro evaluation environments as a Gymnasium-style vector environment.

    import kinitro_env
    envs = kinitro_env.make_vec("metaworld/reach-v3", num_envs=8, images=True, seed=0)
    obs, info = envs.reset()
    obs, reward, terminated, truncated, info = envs.step(actions)   # actions: (8, 7)
    envs.close()

Observations are a dict of numpy arrays with a leading env axis:
  proprio           (N, 14) float32  ee_pos, ee_quat, ee_vel_ang, ee_vel_lin, gripper (alphabetical,
                                     as rl_interface.Observation.proprio_array() orders them)
  rgb[cam]          (N, 84, 84, 3) uint8, cam in ("corner", "corner2")        (images=True)
  cam_intrinsics[cam] (N, 3, 3) float32, cam_extrinsics[cam] (N, 4, 4) float32 (images=True)
Actions are (N, 7): ee_twist [vx, vy, vz, wx, wy, wz] in [-1, 1] then gripper g in [0, 1] — the
wire's action as a flat array; (N, 4) [vx, vy, vz, g] is accepted too.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from ._server import SpawnedServer
from ._wire import Connection

try:  # optional: spaces and registration when gymnasium is there
    import gymnasium as _gym  # type: ignore
    from gymnasium import spaces as _spaces  # type: ignore
except Exception:  # pragma: no cover - depends on the machine
    _gym = None
    _spaces = None

ENV_IDS = (
    "metaworld/reach-v3",
    "metaworld/push-v3",
    "metaworld/pick-place-v3",
    "metaworld/door-open-v3",
    "metaworld/drawer-open-v3",
    "metaworld/drawer-close-v3",
    "metaworld/button-press-v3",
    "metaworld/peg-insert-v3",
)


class Box:
    """A minimal stand-in for gymnasium.spaces.Box when gymnasium is not installed."""

    def __init__(self, low: Any, high: Any, shape: Sequence[int], dtype: Any):
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self.low = np.broadcast_to(np.asarray(low, dtype=self.dtype), self.shape)
        self.high = np.broadcast_to(np.asarray(high, dtype=self.dtype), self.shape)

    def sample(self, rng: Optional[np.random.Generator] = None) -> np.ndarray:
        rng = rng or np.random.default_rng()
        if self.dtype.kind == "u":
            return rng.integers(self.low, self.high, size=self.shape, endpoint=True, dtype=self.dtype)
        low = np.where(np.isfinite(self.low), self.low, -1.0)
        high = np.where(np.isfinite(self.high), self.high, 1.0)
        return rng.uniform(low, high, size=self.shape).astype(self.dtype)

    def __repr__(self) -> str:
        return f"Box({self.shape}, {self.dtype})"


def _box(low: Any, high: Any, shape: Sequence[int], dtype: Any) -> Any:
    if _spaces is not None:
        return _spaces.Box(low=np.broadcast_to(np.asarray(low, dtype=dtype), shape), high=np.broadcast_to(np.asarray(high, dtype=dtype), shape), dtype=dtype)
    return Box(low, high, shape, dtype)


def _dict(entries: Dict[str, Any]) -> Any:
    return _spaces.Dict(entries) if _spaces is not None else dict(entries)


_VecBase: Any = _gym.vector.VectorEnv if _gym is not None else object


class KinitroVecEnv(_VecBase):  # type: ignore[misc, valid-type]
    """N evaluation environments stepped together by a ``kinitro env serve`` process."""

    def __init__(
        self,
        env_id: Union[str, Sequence[str]] = "all",
        num_envs: int = 1,
        images: bool = True,
        seed: Optional[int] = None,
        max_steps: int = 500,
        randomization: str = "cued",
        autoreset: str = "next_step",
        privileged: bool = False,
        address: Optional[str] = None,
        kinitro: Union[str, Sequence[str], None] = None,
        timeout: float = 120.0,
        dtype: Any = np.float32,
        threads: Optional[int] = None,
    ):
        self.dtype = np.dtype(dtype)  # of proprio and calibration (float32 like proprio_array(); float64 is exact)
        self._server: Optional[SpawnedServer] = None
        self._conn: Optional[Connection] = None
        import os

        address = address or os.environ.get("KINITRO_ENV_ADDRESS")
        if address is None:
            self._server = SpawnedServer(kinitro, training=privileged, timeout=timeout, threads=threads)
            address = self._server.address
        try:
            self._conn = Connection(address, timeout=timeout)
            ready, _ = self._conn.request(
                {
                    "op": "hello",
                    "env": env_id if isinstance(env_id, str) else list(env_id),
                    "num_envs": int(num_envs),
                    "images": bool(images),
                    "max_steps": int(max_steps),
                    "randomization": randomization,
                    "autoreset": autoreset,
                    "privileged": bool(privileged),
                    "protocol": 1,
                }
            )
        except BaseException:
            self.close()
            raise
        self.spec_info = ready
        self.num_envs: int = ready["num_envs"]
        self.env_ids: List[str] = list(ready["env_ids"])
        self.cameras: List[str] = list(ready["cameras"])
        self.images = bool(ready["images"])
        self.max_steps: int = ready["max_steps"]
        self.fps: int = ready["fps"]
        self.autoreset_mode: str = ready["autoreset"]
        self.privileged = bool(ready["privileged"])
        self.proprio_names: List[str] = list(ready["proprio_names"])
        self.action_names: List[str] = list(ready["action"]["names"])
        h, w, c = ready["image_shape"]
        n_proprio = len(self.proprio_names)
        obs_space: Dict[str, Any] = {"proprio": _box(-np.inf, np.inf, (n_proprio,), self.dtype)}
        if self.images:
            obs_space["rgb"] = _dict({cam: _box(0, 255, (h, w, c), np.uint8) for cam in self.cameras})
            obs_space["cam_intrinsics"] = _dict({cam: _box(-np.inf, np.inf, (3, 3), self.dtype) for cam in self.cameras})
            obs_space["cam_extrinsics"] = _dict({cam: _box(-np.inf, np.inf, (4, 4), self.dtype) for cam in self.cameras})
        self.single_observation_space = _dict(obs_space)
        self.single_action_space = _box(ready["action"]["low"], ready["action"]["high"], (len(self.action_names),), np.float32)
        if _gym is not None:
            from gymnasium.vector.utils import batch_space  # type: ignore

            self.observation_space = batch_space(self.single_observation_space, self.num_envs)
            self.action_space = batch_space(self.single_action_space, self.num_envs)
            mode = {"next_step": "NEXT_STEP", "same_step": "SAME_STEP", "disabled": "DISABLED"}[self.autoreset_mode]
            self.metadata = {"autoreset_mode": getattr(_gym.vector.AutoresetMode, mode, mode)} if hasattr(_gym.vector, "AutoresetMode") else {}
        else:
            self.action_space = Box(np.tile(self.single_action_space.low, (self.num_envs, 1)), np.tile(self.single_action_space.high, (self.num_envs, 1)), (self.num_envs, len(self.action_names)), np.float32)
            self.metadata = {"autoreset_mode": self.autoreset_mode}
        self._pending_seed = seed
        self.closed = False

    # ---------- the Gymnasium API ----------

    def reset(self, *, seed: Optional[int] = None, options: Optional[Dict[str, Any]] = None) -> Tuple[Dict[str, Any], Dict[str, Any]]:
        """Resets every sub-environment. A seed restarts the reproducible instance sequence (episode j
        of a lone sub-environment is ``kinitro eval --seed SEED``'s episode j); without one, episodes
        run fresh secret instances like a validator's (or continue a seeded sequence)."""
        if seed is None:
            seed, self._pending_seed = self._pending_seed, None
        else:
            self._pending_seed = None
        if seed is not None and (isinstance(seed, bool) or int(seed) != seed or seed < 0):
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        if _gym is not None and seed is not None:
            super().reset(seed=int(seed))  # Gymnasium's own seeding of np_random
        header, arrays = self._request({"op": "reset", "seed": None if seed is None else int(seed)})
        return self._observation(arrays), self._info(header)

    def step(self, actions: Any) -> Tuple[Dict[str, Any], np.ndarray, np.ndarray, np.ndarray, Dict[str, Any]]:
        a = np.asarray(actions, dtype=np.float64)
        if a.ndim == 1:
            a = a.reshape(1, -1)
        if a.shape[0] != self.num_envs:
            raise ValueError(f"expected actions for {self.num_envs} environments, got shape {a.shape}")
        if a.shape[1] == 4:
            a = np.concatenate([a[:, :3], np.zeros((self.num_envs, 3)), a[:, 3:]], axis=1)
        if a.shape[1] != len(self.action_names):
            raise ValueError(f"actions must be ({self.num_envs}, {len(self.action_names)}) [ee_twist(6), gripper] or ({self.num_envs}, 4), got {a.shape}")
        header, arrays = self._request({"op": "step"}, [("actions", a)])
        info = self._info(header)
        if "final_mask" in arrays:
            mask = arrays["final_mask"].astype(bool)
            final = self._observation(arrays, prefix="final_")
            final_obs = np.empty(self.num_envs, dtype=object)
            final_info = np.empty(self.num_envs, dtype=object)
            for k in range(self.num_envs):
                if mask[k]:
                    final_obs[k] = _row(final, k)
                    final_info[k] = {key: values[k] for key, values in header["final_info"].items()}
            info["final_obs"], info["_final_obs"] = final_obs, mask
            info["final_info"], info["_final_info"] = final_info, mask
        return self._observation(arrays), arrays["reward"].copy(), arrays["terminated"].astype(bool), arrays["truncated"].astype(bool), info

    def close(self, **_: Any) -> None:
        if getattr(self, "_conn", None) is not None:
            try:
                self._conn.request({"op": "close"})
            except Exception:
                pass
            self._conn.close()
            self._conn = None
        if getattr(self, "_server", None) is not None:
            self._server.close()
            self._server = None
        self.closed = True

    def __enter__(self) -> "KinitroVecEnv":
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    # ---------- internals ----------

    def _request(self, header: Dict[str, Any], arrays: Optional[List[Tuple[str, np.ndarray]]] = None):
        if self._conn is None:
            raise RuntimeError("the vector environment is closed")
        return self._conn.request(header, arrays)

    def _observation(self, arrays: Dict[str, np.ndarray], prefix: str = "") -> Dict[str, Any]:
        obs: Dict[str, Any] = {"proprio": arrays[prefix + "proprio"].astype(self.dtype)}
        if self.images:
            rgb = arrays[prefix + "rgb"]
            k = arrays[prefix + "cam_intrinsics"].astype(self.dtype)
            e = arrays[prefix + "cam_extrinsics"].astype(self.dtype)
            obs["rgb"] = {cam: rgb[:, c] for c, cam in enumerate(self.cameras)}
            obs["cam_intrinsics"] = {cam: k[:, c] for c, cam in enumerate(self.cameras)}
            obs["cam_extrinsics"] = {cam: e[:, c] for c, cam in enumerate(self.cameras)}
        return obs

    def _info(self, header: Dict[str, Any]) -> Dict[str, Any]:
        raw = header["info"]
        info: Dict[str, Any] = {
            "env_id": np.array(self.env_ids, dtype=object),
            "success": np.array(raw["success"], dtype=bool),
            "violation": np.array(raw["violation"], dtype=object),
            "episode_steps": np.array(raw["episode_steps"], dtype=np.int64),
            "episode": np.array(raw["episode"], dtype=np.int64),
            "reset": np.array(raw["reset"], dtype=bool),
            "error": np.array(raw["error"], dtype=object),
        }
        if "privileged" in raw:
            # TRAINING ONLY: ground truth (object poses, the target, the instance). Never available in
            # evaluation; a policy that needs it at test time cannot be served.
            info["privileged"] = np.array(raw["privileged"], dtype=object)
        return info


def _row(obs: Dict[str, Any], k: int) -> Dict[str, Any]:
    return {key: (_row(value, k) if isinstance(value, dict) else value[k]) for key, value in obs.items()}


def make_vec(env_id: Union[str, Sequence[str]] = "all", num_envs: int = 1, images: bool = True, seed: Optional[int] = None, **kwargs: Any) -> KinitroVecEnv:
    """N evaluation environments as a vector env. ``env_id``: "all" (sub-environment k runs the k-th
    environment, cyclically), one id, or a list of ids. Keyword arguments: max_steps (500),
    randomization ("cued"), autoreset ("next_step" | "same_step" | "disabled"), dtype (of proprio and
    calibration: np.float32, or np.float64 for the exact values), privileged (False;
    TRAINING ONLY, starts the server in training mode), address ("unix:PATH" | "tcp:127.0.0.1:PORT" of
    a running ``kinitro env serve``; default $KINITRO_ENV_ADDRESS, else a private server is started
    with $KINITRO_CMD or ``npx kinitro``), kinitro (that command), threads (how many threads the private
    server steps the vector on; default one per core, at most 2), timeout."""
    return KinitroVecEnv(env_id, num_envs=num_envs, images=images, seed=seed, **kwargs)


_EnvBase: Any = _gym.Env if _gym is not None else object


class KinitroEnv(_EnvBase):  # type: ignore[misc, valid-type]
    """One environment with the single-env Gymnasium API (a vector of one, without the env axis)."""

    def __init__(self, env_id: str = "metaworld/reach-v3", images: bool = True, **kwargs: Any):
        kwargs.setdefault("autoreset", "disabled")
        self._vec = KinitroVecEnv(env_id, num_envs=1, images=images, **kwargs)
        self.observation_space = self._vec.single_observation_space
        self.action_space = self._vec.single_action_space
        self.metadata = {"render_modes": []}

    def reset(self, *, seed: Optional[int] = None, options: Optional[Dict[str, Any]] = None):
        if _gym is not None:
            super().reset(seed=seed)  # Gymnasium's own seeding of np_random
        obs, info = self._vec.reset(seed=seed, options=options)
        return _row(obs, 0), _row(info, 0)

    def step(self, action: Any):
        obs, reward, terminated, truncated, info = self._vec.step(np.asarray(action, dtype=np.float64).reshape(1, -1))
        return _row(obs, 0), float(reward[0]), bool(terminated[0]), bool(truncated[0]), _row(info, 0)

    def close(self) -> None:
        self._vec.close()


def make(env_id: str = "metaworld/reach-v3", images: bool = True, **kwargs: Any) -> KinitroEnv:
    return KinitroEnv(env_id, images=images, **kwargs)


def gym_id(env_id: str) -> str:
    """The Gymnasium id an environment is registered under: metaworld/reach-v3 -> kinitro/metaworld-reach-v3."""
    return "kinitro/" + env_id.replace("/", "-")


def _vector_entry_point(num_envs: int = 1, **kwargs: Any) -> KinitroVecEnv:
    return KinitroVecEnv(num_envs=num_envs, **kwargs)


def register_envs() -> List[str]:
    """Registers every environment with gymnasium (``gym.make("kinitro/metaworld-reach-v3")``,
    ``gym.make_vec(..., num_envs=8)``). Returns the ids; [] without gymnasium."""
    if _gym is None:
        return []
    ids = []
    for env_id in ENV_IDS:
        gid = gym_id(env_id)
        if gid not in _gym.registry:
            _gym.register(id=gid, entry_point="kinitro_env.vector:KinitroEnv", vector_entry_point="kinitro_env.vector:_vector_entry_point", kwargs={"env_id": env_id}, disable_env_checker=True)
        ids.append(gid)
    return ids
