"""Camera geometry helpers for the calibration in each observation (numpy).

Conventions (the validator's renderer):
  - Images are H×W×3 uint8, row 0 first. Pixel centres are at integer coordinates: the pixel in
    column c, row r is the point (c, r).
  - ``cam_extrinsics[name]`` E is the 4×4 world → camera transform. The camera frame has x toward
    increasing column, y toward increasing row and z forward along the optical axis. (The delivered
    images are mirror images of a right-handed camera's, like the original's vertically flipped
    renders, so this frame is left-handed: det(E[:3,:3]) = -1. Nothing below depends on that.)
  - ``cam_intrinsics[name]`` K is the usual 3×3 pinhole matrix: column = K[0][0]·x/z + K[0][2],
    row = K[1][1]·y/z + K[1][2].
World frame: metres, z up, the table top at z = 0, the robot base at the origin.
"""
from __future__ import annotations

from typing import Optional, Sequence, Tuple

import numpy as np

Ray = Tuple[np.ndarray, np.ndarray]  # (origin, unit direction into the scene)


def project_point(K: np.ndarray, E: np.ndarray, p: Sequence[float]) -> np.ndarray:
    """World point → [column, row, depth]; depth <= 0 means the point is behind the camera."""
    K = np.asarray(K, dtype=np.float64)
    E = np.asarray(E, dtype=np.float64)
    x, y, z = E[:3, :3] @ np.asarray(p, dtype=np.float64) + E[:3, 3]
    return np.array([K[0, 0] * x / z + K[0, 1] * y / z + K[0, 2], K[1, 1] * y / z + K[1, 2], z])


def pixel_ray(K: np.ndarray, E: np.ndarray, column: float, row: float) -> Ray:
    """The ray from the camera through pixel coordinates (column, row)."""
    K = np.asarray(K, dtype=np.float64)
    E = np.asarray(E, dtype=np.float64)
    y = (row - K[1, 2]) / K[1, 1]
    x = (column - K[0, 2] - K[0, 1] * y) / K[0, 0]
    R, t = E[:3, :3], E[:3, 3]
    d = R.T @ np.array([x, y, 1.0])  # R is orthogonal: its transpose takes camera directions back to the world
    return -R.T @ t, d / np.linalg.norm(d)


def triangulate(rays: Sequence[Ray]) -> Optional[np.ndarray]:
    """The point closest (least squares) to two or more rays, e.g. one object's pixel in each camera."""
    A = np.zeros((3, 3))
    b = np.zeros(3)
    for origin, d in rays:
        m = np.eye(3) - np.outer(d, d)
        A += m
        b += m @ origin
    if abs(np.linalg.det(A)) < 1e-12:
        return None
    return np.linalg.solve(A, b)


def intersect_horizontal(ray: Ray, h: float) -> Optional[np.ndarray]:
    """Where a ray meets the horizontal plane z = h (e.g. an object known to rest on the table)."""
    origin, d = ray
    if abs(d[2]) < 1e-9:
        return None
    t = (h - origin[2]) / d[2]
    return origin + t * d if t > 0 else None
