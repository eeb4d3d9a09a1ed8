"""The probes of load balancers and orchestrators, and Prometheus' scrape:
getHealth, getReadiness and getMetrics (the contract's `operations` tag)."""

from typing import TypedDict

from sqlalchemy import text

from generated import routes
from generated.models import Health, Status
from impl import metrics
from impl.contexts import PublicContext, RequestContext
from impl.db.statements import compile_statement
from impl.problems import Problem, ProblemName, ShuttingDown
from runtime.replies import NoHeaders, Reply


class NoParams(TypedDict):
    pass


READY = compile_statement(
    text("SELECT 1"), NoParams, idempotent=True, operation="SELECT", target="1"
)


class Probes(routes.Handlers[RequestContext, PublicContext]):
    """The probes' handlers, one method per operationId."""

    def __init__(self, *, metrics_enabled: bool) -> None:
        self.metrics_enabled = metrics_enabled

    async def get_health(self, ctx: PublicContext) -> Reply[Health, NoHeaders]:
        return Reply.of(Health(status=Status.OK), NoHeaders())

    async def get_readiness(self, ctx: PublicContext) -> Reply[Health, NoHeaders]:
        if ctx.draining:
            raise ShuttingDown
        await ctx.db.fetch(READY({}))
        return Reply.of(Health(status=Status.OK), NoHeaders())

    async def get_metrics(self, ctx: PublicContext) -> Reply[str, NoHeaders]:
        if not self.metrics_enabled:
            raise Problem(
                ProblemName.METRICS_OFF,
                "Metrics are turned off here (METRICS_ENABLED=false).",
            )
        return Reply(metrics.exposition(), NoHeaders())
