"""Wire types of the Kinitro miner protocol: Observation, Action, EncodedImage.

The same shapes as the original Kinitro ``rl_interface`` (pydantic models there), written with the
standard library and numpy only, so a miner needs nothing else to run the server. Validation is
strict like the original's: unknown keys are rejected, numbers must be numbers, and every problem is
reported with its location (``ValidationError.errors()``, FastAPI's 422 ``detail`` format).

    obs = Observation.from_dict(payload["obs"])        # raises ValidationError
    img = obs.image("corner")                          # (84, 84, 3) uint8, see decode_image
    state = obs.proprio_array()                        # float32, channels in alphabetical order
    action = Action.from_array([vx, vy, vz, 0, 0, 0, g])
"""
from __future__ import annotations

import base64
import binascii
import math
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence

import numpy as np

OBSERVATION_KEYS = ("rgb", "depth", "proprio", "cam_intrinsics", "cam_extrinsics", "extra")
ACTION_KEYS = ("continuous", "discrete", "extra")
IMAGE_KEYS = ("data", "shape", "dtype")
# The flat-array layout the original template accepts from a policy: ee_twist (6) then gripper (1).
DEFAULT_ACTION_SCHEMA: Dict[str, int] = {"ee_twist": 6, "gripper": 1}
# The MetaWorld-family proprioception channels, in the alphabetical order proprio_array() uses.
PROPRIO_CHANNELS: Dict[str, int] = {"ee_pos": 3, "ee_quat": 4, "ee_vel_ang": 3, "ee_vel_lin": 3, "gripper": 1}


class ValidationError(ValueError):
    """A malformed observation or action. ``errors()`` lists {loc, msg, type} like pydantic."""

    def __init__(self, issues: List[Dict[str, Any]]):
        self.issues = issues
        super().__init__("; ".join(f"{'.'.join(str(p) for p in i['loc'])}: {i['msg']}" for i in issues[:5]))

    def errors(self) -> List[Dict[str, Any]]:
        return list(self.issues)


class _Checker:
    """Collects every problem instead of stopping at the first (what a miner debugging wants)."""

    def __init__(self, root: Sequence[Any]):
        self.root = list(root)
        self.issues: List[Dict[str, Any]] = []

    def fail(self, loc: Sequence[Any], msg: str, kind: str) -> None:
        self.issues.append({"loc": self.root + list(loc), "msg": msg, "type": kind})

    def mapping(self, value: Any, loc: Sequence[Any]) -> Optional[Mapping[str, Any]]:
        if not isinstance(value, dict):
            self.fail(loc, "Input should be a valid dictionary", "dict_type")
            return None
        return value

    def number(self, value: Any, loc: Sequence[Any]) -> Optional[float]:
        # bool is an int subclass in Python; JSON true is not a number on this wire.
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(loc, "Input should be a valid number", "float_type")
            return None
        if isinstance(value, float) and not math.isfinite(value):
            self.fail(loc, "Input should be a finite number", "finite_number")
            return None
        return float(value)

    def numbers(self, value: Any, loc: Sequence[Any]) -> Optional[List[float]]:
        if not isinstance(value, list):
            self.fail(loc, "Input should be a valid list", "list_type")
            return None
        out = [self.number(v, list(loc) + [i]) for i, v in enumerate(value)]
        return None if any(v is None for v in out) else out  # type: ignore[return-value]

    def unknown_keys(self, value: Mapping[str, Any], allowed: Iterable[str], loc: Sequence[Any]) -> None:
        allowed = set(allowed)
        for key in value:
            if key not in allowed:
                self.fail(list(loc) + [key], "Extra inputs are not permitted", "extra_forbidden")


@dataclass
class EncodedImage:
    """Raw array bytes, standard base64 with padding, C order. Never PNG/JPEG, never nested lists."""

    data: str
    shape: List[int]
    dtype: str

    def decode(self) -> np.ndarray:
        return decode_image(self)

    def to_dict(self) -> Dict[str, Any]:
        return {"data": self.data, "shape": list(self.shape), "dtype": self.dtype}


def decode_image(image: "EncodedImage | Mapping[str, Any]") -> np.ndarray:
    """An EncodedImage (or its dict) as a numpy array of its shape and dtype, e.g. (84, 84, 3) uint8.

    Row 0 is the top of the picture as delivered (MuJoCo's image flipped vertically, as the original
    sends it). The array is read-only: copy it before writing into it.
    """
    data, shape, dtype = (image.data, image.shape, image.dtype) if isinstance(image, EncodedImage) else (image["data"], image["shape"], image["dtype"])
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as err:
        raise ValueError(f"image data is not valid base64: {err}") from None
    array = np.frombuffer(raw, dtype=np.dtype(dtype))
    expected = int(np.prod(shape)) if len(shape) else 1
    if array.size != expected:
        raise ValueError(f"image has {array.size} values, shape {list(shape)} needs {expected}")
    return array.reshape(shape)


def encode_image(array: np.ndarray) -> EncodedImage:
    """The inverse of decode_image (tests, tools)."""
    a = np.ascontiguousarray(array)
    return EncodedImage(data=base64.b64encode(a.tobytes()).decode("ascii"), shape=list(a.shape), dtype=str(a.dtype))


def _image(checker: _Checker, value: Any, loc: List[Any]) -> Optional[EncodedImage]:
    m = checker.mapping(value, loc)
    if m is None:
        return None
    checker.unknown_keys(m, IMAGE_KEYS, loc)
    ok = True
    for key in IMAGE_KEYS:
        if key not in m:
            checker.fail(loc + [key], "Field required", "missing")
            ok = False
    if not ok:
        return None
    if not isinstance(m["data"], str):
        checker.fail(loc + ["data"], "Input should be a valid string", "string_type")
        ok = False
    if not isinstance(m["dtype"], str):
        checker.fail(loc + ["dtype"], "Input should be a valid string", "string_type")
        ok = False
    shape = m["shape"]
    if not isinstance(shape, list) or any(isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in shape):
        checker.fail(loc + ["shape"], "Input should be a list of non-negative integers", "list_type")
        ok = False
    return EncodedImage(data=m["data"], shape=list(shape), dtype=m["dtype"]) if ok else None


@dataclass
class Observation:
    """What the validator sends each step (all six keys always present on the wire)."""

    rgb: Dict[str, EncodedImage] = field(default_factory=dict)
    depth: Dict[str, EncodedImage] = field(default_factory=dict)
    proprio: Dict[str, List[float]] = field(default_factory=dict)
    cam_intrinsics: Dict[str, List[List[float]]] = field(default_factory=dict)
    cam_extrinsics: Dict[str, List[List[float]]] = field(default_factory=dict)
    extra: Dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, value: Any, loc: Sequence[Any] = ("obs",)) -> "Observation":
        """Strict parse: unknown keys, wrong types and non-finite numbers raise ValidationError."""
        c = _Checker(loc)
        m = c.mapping(value, [])
        if m is None:
            raise ValidationError(c.issues)
        c.unknown_keys(m, OBSERVATION_KEYS, [])
        obs = cls()
        for key in ("rgb", "depth"):
            images = c.mapping(m.get(key, {}), [key])
            for name, img in (images or {}).items():
                parsed = _image(c, img, [key, name])
                if parsed is not None:
                    getattr(obs, key)[name] = parsed
        proprio = c.mapping(m.get("proprio", {}), ["proprio"])
        for name, values in (proprio or {}).items():
            parsed = c.numbers(values, ["proprio", name])
            if parsed is not None:
                obs.proprio[name] = parsed
        for key in ("cam_intrinsics", "cam_extrinsics"):
            cams = c.mapping(m.get(key, {}), [key])
            for name, rows in (cams or {}).items():
                if not isinstance(rows, list):
                    c.fail([key, name], "Input should be a valid list", "list_type")
                    continue
                parsed_rows = [c.numbers(r, [key, name, i]) for i, r in enumerate(rows)]
                if all(r is not None for r in parsed_rows):
                    getattr(obs, key)[name] = parsed_rows
        extra = c.mapping(m.get("extra", {}), ["extra"])
        if extra is not None:
            obs.extra = dict(extra)
        if c.issues:
            raise ValidationError(c.issues)
        return obs

    def to_dict(self) -> Dict[str, Any]:
        return {
            "rgb": {k: v.to_dict() for k, v in self.rgb.items()},
            "depth": {k: v.to_dict() for k, v in self.depth.items()},
            "proprio": {k: list(v) for k, v in self.proprio.items()},
            "cam_intrinsics": {k: [list(r) for r in v] for k, v in self.cam_intrinsics.items()},
            "cam_extrinsics": {k: [list(r) for r in v] for k, v in self.cam_extrinsics.items()},
            "extra": dict(self.extra),
        }

    @property
    def episode_id(self) -> Optional[str]:
        """The validator's id of this episode (``extra.episode_id``), when it sends one."""
        value = self.extra.get("episode_id")
        return value if isinstance(value, str) else None

    def image(self, camera: str) -> np.ndarray:
        """The camera's RGB image as an (H, W, 3) uint8 array."""
        return decode_image(self.rgb[camera])

    def intrinsics(self, camera: str) -> np.ndarray:
        """3×3 pinhole matrix K of the camera (float64)."""
        return np.asarray(self.cam_intrinsics[camera], dtype=np.float64)

    def extrinsics(self, camera: str) -> np.ndarray:
        """4×4 world → camera matrix E of the camera (float64)."""
        return np.asarray(self.cam_extrinsics[camera], dtype=np.float64)

    def proprio_array(self, keys: Optional[Sequence[str]] = None) -> np.ndarray:
        """The proprio channels concatenated as float32, in the given order or alphabetical order.

        The default order (ee_pos, ee_quat, ee_vel_ang, ee_vel_lin, gripper: 14 values) is the one
        ``kinitro_env`` vector environments and ``kinitro dataset record`` use for the state vector,
        so a policy trained on those sees the same vector here.
        """
        names = sorted(self.proprio) if keys is None else list(keys)
        if not names:
            return np.zeros(0, dtype=np.float32)
        return np.concatenate([np.asarray(self.proprio[k], dtype=np.float32) for k in names])


@dataclass
class Action:
    """What the server answers: ``continuous.ee_twist`` [vx, vy, vz, wx, wy, wz] and ``gripper`` [g]."""

    continuous: Dict[str, List[float]] = field(default_factory=dict)
    discrete: Dict[str, int] = field(default_factory=dict)
    extra: Dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, value: Any, loc: Sequence[Any] = ("action",)) -> "Action":
        c = _Checker(loc)
        m = c.mapping(value, [])
        if m is None:
            raise ValidationError(c.issues)
        c.unknown_keys(m, ACTION_KEYS, [])
        action = cls()
        continuous = c.mapping(m.get("continuous", {}), ["continuous"])
        for name, values in (continuous or {}).items():
            parsed = c.numbers(values, ["continuous", name])
            if parsed is not None:
                action.continuous[name] = parsed
        discrete = c.mapping(m.get("discrete", {}), ["discrete"])
        for name, v in (discrete or {}).items():
            if isinstance(v, bool) or not isinstance(v, int):
                c.fail(["discrete", name], "Input should be a valid integer", "int_type")
            else:
                action.discrete[name] = v
        extra = c.mapping(m.get("extra", {}), ["extra"])
        if extra is not None:
            action.extra = dict(extra)
        if c.issues:
            raise ValidationError(c.issues)
        return action

    @classmethod
    def from_array(cls, array: Any, schema: Optional[Mapping[str, int]] = None) -> "Action":
        """Slices a flat array into channels in the schema's order (default ee_twist: 6, gripper: 1).

        A 4-value array [vx, vy, vz, g] is read as a move plus a gripper command.
        """
        values = np.asarray(array, dtype=np.float64).reshape(-1)
        if schema is None and values.size == 4:
            values = np.concatenate([values[:3], np.zeros(3), values[3:]])
        schema = dict(schema or DEFAULT_ACTION_SCHEMA)
        need = sum(schema.values())
        if values.size != need:
            raise ValueError(f"action array has {values.size} values, the schema {schema} needs {need}")
        out: Dict[str, List[float]] = {}
        i = 0
        for name, size in schema.items():
            out[name] = [float(v) for v in values[i : i + size]]
            i += size
        return cls(continuous=out)

    def continuous_array(self, keys: Optional[Sequence[str]] = None) -> np.ndarray:
        """The continuous channels concatenated as float32 (alphabetical order by default)."""
        names = sorted(self.continuous) if keys is None else list(keys)
        if not names:
            return np.zeros(0, dtype=np.float32)
        return np.concatenate([np.asarray(self.continuous[k], dtype=np.float32) for k in names])

    def to_dict(self) -> Dict[str, Any]:
        return {"continuous": {k: [float(x) for x in v] for k, v in self.continuous.items()}, "discrete": dict(self.discrete), "extra": dict(self.extra)}


def make_action(move: Sequence[float], gripper: float = 0.0) -> Action:
    """An action that moves the hand by ``move`` (each in [-1, 1], 1 = 1 cm per step) with the gripper command g in [0, 1]."""
    vx, vy, vz = (float(v) for v in list(move)[:3])
    return Action(continuous={"ee_twist": [vx, vy, vz, 0.0, 0.0, 0.0], "gripper": [float(gripper)]})


def to_action(value: Any) -> Action:
    """Whatever a policy returned (Action, dict, flat array) as a validated Action."""
    if isinstance(value, Action):
        return Action.from_dict(value.to_dict())
    if isinstance(value, dict):
        return Action.from_dict(value)
    return Action.from_array(value)
