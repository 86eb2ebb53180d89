"""The Python half of `npm run bench -- training`: steps/s of a kinitro_env vector env with random actions."""
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "python"))
import kinitro_env  # noqa: E402

num_envs, images, seconds = int(sys.argv[1]), sys.argv[2] == "images", float(sys.argv[3])
threads = int(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[4] != "auto" else None
env_id = sys.argv[5] if len(sys.argv) > 5 else "all"
t0 = time.perf_counter()
envs = kinitro_env.make_vec(env_id, num_envs=num_envs, images=images, seed=0, threads=threads)
started = time.perf_counter() - t0
rng = np.random.default_rng(0)
envs.reset()
for _ in range(30):  # warm-up: JIT, first renders
    envs.step(rng.uniform(-1, 1, (num_envs, 7)))
steps = 0
client = 0.0
t0 = time.perf_counter()
cpu0 = time.process_time()
while time.perf_counter() - t0 < seconds:
    actions = rng.uniform(-1, 1, (num_envs, 7))
    obs, reward, terminated, truncated, info = envs.step(actions)
    steps += num_envs
elapsed = time.perf_counter() - t0
client_cpu = time.process_time() - cpu0
envs.close()
print(json.dumps({"num_envs": num_envs, "images": images, "env_ids": sorted(set(envs.env_ids)), "steps": steps, "seconds": elapsed, "steps_per_s": steps / elapsed, "python_cpu_share": client_cpu / elapsed, "startup_s": started}))
