"""The Python half of `npm run bench -- training`: steps/s of a kinitro_env vector env with random actions."""
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "python"))
import kinitro_env  # noqa: E402

def server_cpu_seconds(envs):
    """CPU time (user + system) the private env server has used so far, from /proc (Linux); None elsewhere."""
    try:
        with open(f"/proc/{envs._server.process.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, AttributeError, IndexError, ValueError):
        return None


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
server0 = server_cpu_seconds(envs)
while time.perf_counter() - t0 < seconds:
    actions = rng.uniform(-1, 1, (num_envs, 7))
    obs, reward, terminated, truncated, info = envs.step(actions)
    steps += num_envs
elapsed = time.perf_counter() - t0
client_cpu = time.process_time() - cpu0
server1 = server_cpu_seconds(envs)
server_cpu = server1 - server0 if server0 is not None and server1 is not None else None
envs.close()
print(json.dumps({"num_envs": num_envs, "images": images, "env_ids": sorted(set(envs.env_ids)), "steps": steps, "seconds": elapsed, "steps_per_s": steps / elapsed, "python_cpu_share": client_cpu / elapsed, "startup_s": started,
                  "server_cpu_ms_per_step": None if server_cpu is None else 1000 * server_cpu / steps, "client_cpu_ms_per_step": 1000 * client_cpu / steps}))
