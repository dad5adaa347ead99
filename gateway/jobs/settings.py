"""What the job worker reads from the gateway's settings (``GATEWAY_JOBS_…`` variables)."""

from pydantic import BaseModel, Field


class JobsSettings(BaseModel):
    """Mixed into ``GatewaySettings``."""

    # Jobs one worker process runs at once (deliveries wait on remote servers, so more than
    # the cores); every worker process adds its own.
    jobs_concurrency: int = Field(default=20, ge=1, le=500)
    # A job whose worker has not beaten its heart for this long is taken by another worker:
    # how long a killed worker's jobs wait before they run again (heartbeats every half).
    jobs_heartbeat_seconds: float = Field(default=30.0, gt=0, le=3600)
    # When no notification arrives, a worker still looks for due (deferred) jobs this often.
    jobs_poll_seconds: float = Field(default=5.0, gt=0, le=600)
    # A call a job makes to another organisation's server (a delivery) gives up after this.
    jobs_http_timeout: float = Field(default=30.0, gt=0, le=600)
    jobs_db_pool_size: int = Field(default=10, ge=3, le=100)
