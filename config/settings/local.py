"""Local development and the demo: DEBUG on, SQLite file under var/ unless DATABASE_URL says otherwise."""

from config.env import env_bool, env_str

from .base import *  # noqa: F403
from .base import DATA_DIR

DEBUG = env_bool("OPORA_DEBUG", True)
# A development-only key: production settings refuse to start without OPORA_SECRET_KEY.
SECRET_KEY = env_str("OPORA_SECRET_KEY", "insecure-local-development-key")

# The embedded SQLite database lives in DATA_DIR: a fresh clone has no such directory yet.
DATA_DIR.mkdir(parents=True, exist_ok=True)
