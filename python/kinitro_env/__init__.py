"""kinitro_env: the Kinitro evaluation environments from Python (standard library + numpy).

``make_vec(env_id | "all", num_envs, images=True, seed=None)`` returns a Gymnasium-style vector env
whose sub-environments are the exact environments validators run, served by ``kinitro env serve``.
When gymnasium is installed the environments are also registered with it (``gym.make_vec(
"kinitro/metaworld-reach-v3", num_envs=8)``). See docs/training.md in kinitro.
"""
from .vector import ENV_IDS, Box, KinitroEnv, KinitroVecEnv, gym_id, make, make_vec, register_envs
from ._wire import ServerError

__all__ = ["ENV_IDS", "Box", "KinitroEnv", "KinitroVecEnv", "ServerError", "gym_id", "make", "make_vec", "register_envs"]

registered = register_envs()
