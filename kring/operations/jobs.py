"""Operations' periodic work (registered by OperationsConfig.ready())."""

from kring.core.periodic import register
from kring.operations import heartbeat

# Tasks a killed worker left running are marked failed.
register("operations.dead_tasks", lambda worker: heartbeat.sweep_dead_tasks())
