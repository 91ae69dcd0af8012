"""Server settings: embedded defaults, each overridable by an environment variable.

| variable | default | meaning |
|---|---|---|
| ``PHYLODASH_DATA`` | ``./data`` | data folder (TinyDB file and array files) |
| ``PHYLODASH_ADDRESS`` | ``127.0.0.1`` | address the server binds |
| ``PORT`` | ``5006`` | port the server listens on |
| ``PHYLODASH_WORKERS`` | one per core | jobs running at once (warm worker processes, plus a spare) |
| ``PHYLODASH_PAGE_SIZE`` | ``500`` | items per page of every list (PhyloDB's value) |
| ``PHYLODASH_UPLOAD_LIMIT_MB`` | ``512`` | largest accepted upload request, in MB |
| ``PHYLODASH_INFLATE_LIMIT_MB`` | ``2048`` | most text a gzip-compressed table may inflate to, in MB |
| ``PHYLODASH_JSON_LIMIT_KB`` | ``1024`` | largest accepted JSON request body, in KB |
| ``PHYLODASH_GOOGLE_TOKENINFO_URL`` | Google's token-info endpoint | where Google tokens are checked |
| ``PHYLODASH_GOOGLE_CLIENT_ID`` | unset | accept only Google tokens issued to this OAuth client |
| ``PHYLODASH_DASK_SCHEDULER`` | unset | ``tcp://host:port``: run jobs on that Dask cluster |
| ``PHYLODASH_DASK_SPLIT_ABOVE`` | 10^11 | pairs x loci above which a pass of distances is split over it |
| ``PHYLODASH_JOB_MEMORY_MB`` | 80% of the RAM / workers | address space of one worker process (one job) |
| ``PHYLODASH_MAX_QUEUED_JOBS`` | ``100`` | jobs one user may have queued or running at once |
| ``PHYLODASH_SIGN_IN_FAILURES`` | ``10`` | failed sign-ins one address may make a minute |
| ``PHYLODASH_DEMO_TREE`` | ``1`` | ``0``: a first start stores the demo dataset but computes no tree |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from engine.algorithms.blocks import SPLIT_ABOVE
from engine.errors import ParameterError
from engine.io.compressed import INFLATE_LIMIT

GOOGLE_TOKENINFO_URL = "https://oauth2.googleapis.com/tokeninfo"
MB = 2**20
_RAM_MB = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20


@dataclass(frozen=True)
class Settings:
    """Everything the server reads from its environment, checked once at start."""

    data: Path = Path("data")
    address: str = "127.0.0.1"
    port: int = 5006
    workers: int = max(1, os.cpu_count() or 1)
    page_size: int = 500
    #: Room for a gzip-compressed 100,000 x 3,002 cgMLST table (261 MB for bench/synthetic.py's).
    upload_limit: int = 512 * 1024 * 1024
    inflate_limit: int = INFLATE_LIMIT
    json_limit: int = 1024 * 1024
    google_tokeninfo_url: str = GOOGLE_TOKENINFO_URL
    google_client_id: str | None = None
    dask_scheduler: str | None = None
    dask_split_above: int = SPLIT_ABOVE
    job_memory_mb: int | None = None
    max_queued_jobs: int = 100
    sign_in_failures: int = 10
    demo_tree: bool = True

    @property
    def job_memory_limit(self) -> int:
        """Bytes of address space one job may use: the setting, else 80% of the RAM shared by the workers
        (at least 1 GB)."""
        megabytes = self.job_memory_mb or max(1024, int(0.8 * _RAM_MB / self.workers))
        return megabytes * 2**20

    @property
    def dashboard_url(self) -> str:
        """The address a browser opens to reach the dashboard."""
        return f"http://{self.address}:{self.port}/app"

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from ``environ`` (default ``os.environ``); ParameterError names a bad variable."""
        env = os.environ if environ is None else environ
        defaults = cls()
        return cls(
            data=Path(env.get("PHYLODASH_DATA") or defaults.data),
            address=env.get("PHYLODASH_ADDRESS") or defaults.address,
            port=_positive(env, "PORT", defaults.port),
            workers=_positive(env, "PHYLODASH_WORKERS", defaults.workers),
            page_size=_positive(env, "PHYLODASH_PAGE_SIZE", defaults.page_size),
            upload_limit=_positive(env, "PHYLODASH_UPLOAD_LIMIT_MB", defaults.upload_limit // 2**20) * 2**20,
            inflate_limit=_positive(env, "PHYLODASH_INFLATE_LIMIT_MB", defaults.inflate_limit // MB) * MB,
            json_limit=_positive(env, "PHYLODASH_JSON_LIMIT_KB", defaults.json_limit // 2**10) * 2**10,
            google_tokeninfo_url=env.get("PHYLODASH_GOOGLE_TOKENINFO_URL") or defaults.google_tokeninfo_url,
            google_client_id=env.get("PHYLODASH_GOOGLE_CLIENT_ID") or None,
            dask_scheduler=env.get("PHYLODASH_DASK_SCHEDULER") or None,
            dask_split_above=_positive(env, "PHYLODASH_DASK_SPLIT_ABOVE", defaults.dask_split_above),
            job_memory_mb=_positive(env, "PHYLODASH_JOB_MEMORY_MB", 0) or None,
            max_queued_jobs=_positive(env, "PHYLODASH_MAX_QUEUED_JOBS", defaults.max_queued_jobs),
            sign_in_failures=_positive(env, "PHYLODASH_SIGN_IN_FAILURES", defaults.sign_in_failures),
            demo_tree=_flag(env, "PHYLODASH_DEMO_TREE", defaults.demo_tree),
        )


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    text = env.get(name)
    if not text:
        return default
    if text not in ("0", "1"):
        raise ParameterError(f"{name} must be 0 or 1, not {text!r}")
    return text == "1"


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    text = env.get(name)
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ParameterError(f"{name} must be a whole number, not {text!r}") from None
    if value < 1:
        raise ParameterError(f"{name} must be at least 1, not {value}")
    return value
