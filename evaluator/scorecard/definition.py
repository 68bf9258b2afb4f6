"""The scorecard, defined once in SQL and transpiled with sqlglot for each engine.

The queries read the `events` table (the flattened layout of `layout.py`) and the
reference tables of `tables.py`, and are written in DuckDB's dialect; sqlglot turns them
into Spark SQL. Values that come from users (since, until, the default policy's name,
tier names from a policy in a pull request) enter only as sqlglot literals, never by
pasting text into the query. The dimension and the period unit are picked from fixed
lists.

Money stays in integer units (see `tables.py`) cast to DECIMAL(38, 0) before it is
multiplied or summed, so both engines add exactly and agree to the last unit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlglot
from cprlint.scorecard import DIMENSIONS, PERIODS
from sqlglot import exp

# How `check` reads a conversation's fields (model.conversation_from_document), in SQL.
_TICKET_FIELDS = """
    COALESCE(e.project, '(none)') AS project,
    COALESCE(e.intent, 'default') AS intent,
    COALESCE(e.queue, 'default') AS queue,
    CASE WHEN e.automation IN ('full', 'partial', 'assisted') THEN e.automation
         ELSE 'full' END AS automation,
    COALESCE(e.outcome_status, 'open') AS outcome_status,
    e.outcome_resolved_by AS outcome_resolved_by,
    COALESCE(e.outcome_reopened, FALSE) AS outcome_reopened,
"""

_GOVERNED = f"""
governed AS (
  SELECT
    e.conversation_id,
    COALESCE(po.policy, :default_policy) AS policy,
    {_TICKET_FIELDS}
    e.started_at,
    e.event_type,
    e.model,
    e.tool_name,
    CASE WHEN e.attempt >= 2 THEN 1 ELSE 0 END AS is_retry,
    -- check counts a negative or missing count as 0 (model._token_count)
    GREATEST(COALESCE(e.input_tokens, 0), 0) AS input_tokens,
    GREATEST(COALESCE(e.cached_input_tokens, 0), 0) AS cached_input_tokens,
    GREATEST(COALESCE(e.cache_write_tokens, 0), 0) AS cache_write_tokens,
    GREATEST(COALESCE(e.output_tokens, 0), 0) AS output_tokens,
    GREATEST(COALESCE(e.handle_minutes, 0), 0) AS handle_minutes
  FROM events AS e
  LEFT JOIN policy_of AS po ON po.project = e.project
)"""

MODELS_SQL = f"""
WITH {_GOVERNED}
SELECT policy, model, COUNT(*) AS calls
FROM governed
WHERE event_type = 'llm_call'
GROUP BY policy, model
ORDER BY policy, model
"""

_SCORECARD_SQL = f"""
WITH {_GOVERNED},
priced AS (
  SELECT
    g.*,
    p.tier AS tier,
    CASE WHEN g.event_type = 'llm_call' AND p.policy IS NOT NULL THEN
        CAST(GREATEST(g.input_tokens - g.cached_input_tokens - g.cache_write_tokens, 0)
             AS DECIMAL(18, 0)) * p.input_units
      + CAST(g.cached_input_tokens AS DECIMAL(18, 0)) * p.cached_input_units
      + CAST(g.cache_write_tokens AS DECIMAL(18, 0)) * p.cache_write_units
      + CAST(g.output_tokens AS DECIMAL(18, 0)) * p.output_units
    ELSE CAST(0 AS DECIMAL(38, 0)) END AS llm_units,
    CASE
      WHEN g.event_type = 'retrieval' THEN CAST(s.retrieval_units AS DECIMAL(38, 0))
      WHEN g.event_type = 'tool_call'
        THEN CAST(COALESCE(t.units, s.tool_default_units) AS DECIMAL(38, 0))
      ELSE CAST(0 AS DECIMAL(38, 0))
    END AS other_units,
    CASE WHEN g.event_type = 'escalation'
      THEN CAST(g.handle_minutes AS DECIMAL(18, 6)) * s.human_units
      ELSE CAST(0 AS DECIMAL(38, 6)) END AS human_units
  FROM governed AS g
  JOIN policies AS s ON s.policy = g.policy
  LEFT JOIN prices AS p
    ON g.event_type = 'llm_call' AND p.policy = g.policy AND p.model = g.model
   AND g.input_tokens > p.above_tokens
   AND (p.up_to_tokens IS NULL OR g.input_tokens <= p.up_to_tokens)
  LEFT JOIN tool_prices AS t
    ON g.event_type = 'tool_call' AND t.policy = g.policy AND t.tool_name = g.tool_name
),
tickets AS (
  SELECT
    conversation_id,
    MIN(policy) AS policy,
    MIN(project) AS project,
    MIN(intent) AS intent,
    MIN(queue) AS queue,
    MIN(automation) AS automation,
    MIN(started_at) AS started_at,
    MIN(outcome_status) AS outcome_status,
    MIN(outcome_resolved_by) AS outcome_resolved_by,
    MAX(CASE WHEN outcome_reopened THEN 1 ELSE 0 END) AS reopened,
    MAX(CASE WHEN event_type = 'escalation' THEN 1 ELSE 0 END) AS escalation_events,
    SUM(is_retry * CASE WHEN event_type = 'llm_call' THEN 1 ELSE 0 END) AS retries,
    SUM(CASE WHEN event_type = 'llm_call' THEN 1 ELSE 0 END) AS llm_calls,
    SUM(llm_units + other_units) AS ai_units,
    SUM(human_units) AS human_units
    {{tier_columns}}
  FROM priced
  GROUP BY conversation_id
),
scored AS (
  SELECT
    t.*,
    CASE WHEN r.policy IS NOT NULL AND NOT (s.exclude_reopened AND t.reopened = 1)
      THEN 1 ELSE 0 END AS resolved,
    CASE WHEN t.escalation_events = 1 OR t.outcome_status = 'escalated'
      THEN 1 ELSE 0 END AS escalated,
    CAST(DATE_TRUNC('{{unit}}', t.started_at) AS DATE) AS period
  FROM tickets AS t
  JOIN policies AS s ON s.policy = t.policy
  LEFT JOIN resolving AS r
    ON r.policy = t.policy AND r.status = t.outcome_status
   AND r.resolved_by = COALESCE(t.outcome_resolved_by, '')
  WHERE t.started_at IS NULL
     OR ((:since IS NULL OR t.started_at >= CAST(:since AS TIMESTAMP))
         AND (:until IS NULL OR t.started_at < CAST(:until AS TIMESTAMP)))
)
SELECT
  {{dimension}} AS grp,
  period,
  policy,
  COUNT(*) AS tickets,
  SUM(resolved) AS resolved,
  SUM(escalated) AS escalated,
  SUM(CASE WHEN resolved = 1 AND outcome_resolved_by = 'ai' AND automation = 'full'
      THEN 1 ELSE 0 END) AS auto_resolved,
  SUM(retries) AS retries,
  SUM(llm_calls) AS llm_calls,
  SUM(ai_units) AS ai_units,
  SUM(human_units) AS human_units
  {{tier_sums}}
FROM scored
GROUP BY {{dimension}}, period, policy
ORDER BY grp, period, policy
"""

# The columns of a scorecard row before the tier sums, in order.
SCORECARD_COLUMNS = (
    "grp",
    "period",
    "policy",
    "tickets",
    "resolved",
    "escalated",
    "auto_resolved",
    "retries",
    "llm_calls",
    "ai_units",
    "human_units",
)


def _literal(value: Any) -> exp.Expression:
    if value is None:
        return exp.Null()
    return exp.Literal.string(str(value))


def _render(sql: str, dialect: str, **values: Any) -> str:
    tree = sqlglot.parse_one(sql, read="duckdb")
    tree = exp.replace_placeholders(tree, **{k: _literal(v) for k, v in values.items()})
    return tree.sql(dialect=dialect, pretty=True)


def models_sql(dialect: str, *, default_policy: str) -> str:
    """(policy, model, calls) for every llm_call: which prices the log needs."""
    return _render(MODELS_SQL, dialect, default_policy=default_policy)


def scorecard_sql(
    dialect: str,
    *,
    dimension: str,
    period: str,
    default_policy: str,
    tiers: Sequence[str],
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> str:
    """One row per (group, period, policy): counts and money sums, then one LLM spend sum
    per tier in `tiers` (same order). `until` is inclusive (a date); tickets without
    `started_at` come out with a null period."""
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}")
    if period not in PERIODS:
        raise ValueError(f"unknown period {period!r}")
    tier_columns = "".join(
        f",\n    SUM(CASE WHEN tier = :tier_{i} THEN llm_units ELSE CAST(0 AS DECIMAL(38, 0))"
        f" END) AS tier_{i}"
        for i in range(len(tiers))
    )
    tier_sums = "".join(f",\n  SUM(tier_{i}) AS tier_{i}" for i in range(len(tiers)))
    sql = (
        _SCORECARD_SQL.replace("{tier_columns}", tier_columns)
        .replace("{tier_sums}", tier_sums)
        .replace("{unit}", period)
        .replace("{dimension}", dimension)
    )
    return _render(
        sql,
        dialect,
        default_policy=default_policy,
        since=since.isoformat() if since else None,
        until=(until + dt.timedelta(days=1)).isoformat() if until else None,
        **{f"tier_{i}": tier for i, tier in enumerate(tiers)},
    )
