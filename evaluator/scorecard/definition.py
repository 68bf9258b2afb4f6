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
    e.outcome_reopened_at AS outcome_reopened_at,
    COALESCE(e.outcome_confirmed, FALSE) AS outcome_confirmed,
    -- a CSAT score is 1 to 5; check reads any other number as none
    CASE WHEN e.outcome_csat BETWEEN 1 AND 5 THEN e.outcome_csat END AS outcome_csat,
"""

_GOVERNED = f"""
governed AS (
  SELECT
    e.conversation_id,
    COALESCE(po.policy, :default_policy) AS policy,
    {_TICKET_FIELDS}
    e.started_at,
    e.event_index,
    e.event_type,
    e.event_at,
    -- the resolution rule reads messages only (resolution.judge_resolution)
    CASE WHEN e.event_type = 'message' THEN e.role END AS role,
    CASE WHEN e.event_type = 'message' AND e.role = 'user'
      THEN COALESCE(e.greeting, FALSE) END AS greeting,
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

# When a ticket was resolved (resolution._resolution_moment): its last AI answer, even
# one that does not say when, else its last event that says, else when it started.
_RESOLVED_AT = """(CASE WHEN t.ai_answers > 0 THEN t.answered_at
                 ELSE COALESCE(t.last_event_at, t.started_at) END)"""


def _microseconds(since: str, until: str) -> str:
    """SQL: `until - since` in microseconds (the engines' and Python's resolution)."""
    return f"DATE_DIFF('microsecond', {since}, {until})"


_SCORECARD_SQL = f"""
WITH {_GOVERNED},
-- Where each conversation's AI answers are: the rule places the customer's messages
-- against the last one (and greeting_only against the only one), and the resolution
-- moment at it. (Worked out apart and joined back: a window over every event is
-- slower; read from `events`, so that `governed` is read once, not held.)
answers AS (
  SELECT
    conversation_id,
    SUM(CASE WHEN event_type = 'message' AND role = 'assistant' THEN 1 ELSE 0 END)
      AS ai_answers,
    MAX(CASE WHEN event_type = 'message' AND role = 'assistant' THEN event_index END)
      AS last_answer,
    -- the last event that says when it happened (the resolution moment without an answer)
    MAX(CASE WHEN event_at IS NOT NULL THEN event_index END) AS last_timed
  FROM events
  WHERE event_type = 'message' OR event_at IS NOT NULL
  GROUP BY conversation_id
),
placed AS (
  SELECT g.*, COALESCE(a.ai_answers, 0) AS ai_answers, a.last_answer, a.last_timed
  FROM governed AS g
  LEFT JOIN answers AS a ON a.conversation_id = g.conversation_id
),
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
  FROM placed AS g
  JOIN policies AS s ON s.policy = g.policy
  LEFT JOIN prices AS p
    ON g.event_type = 'llm_call' AND p.policy = g.policy AND p.model = g.model
   AND g.input_tokens > p.above_tokens
   AND (p.up_to_tokens IS NULL OR g.input_tokens <= p.up_to_tokens)
  LEFT JOIN tool_prices AS t
    ON g.event_type = 'tool_call' AND t.policy = g.policy AND t.tool_name = g.tool_name
),
-- One row a ticket: its sums, and what the resolution rule needs of its messages. (A
-- time that is null is a time not given: the clauses that need it say so.)
tickets AS (
  SELECT
    conversation_id,
    MIN(policy) AS policy,
    MIN(project) AS project,
    MIN(intent) AS intent,
    MIN(queue) AS queue,
    MIN(automation) AS automation,
    MIN(started_at) AS started_at,
    -- the calendar month it started in (its policy's overhead is spread over a month's)
    CAST(DATE_TRUNC('month', MIN(started_at)) AS DATE) AS month,
    MIN(outcome_status) AS outcome_status,
    MIN(outcome_resolved_by) AS outcome_resolved_by,
    MAX(CASE WHEN outcome_reopened THEN 1 ELSE 0 END) AS reopened,
    MIN(outcome_reopened_at) AS reopened_at,
    MAX(CASE WHEN outcome_confirmed THEN 1 ELSE 0 END) AS confirmed,
    MIN(outcome_csat) AS csat,
    MAX(CASE WHEN role = 'agent' THEN 1 ELSE 0 END) AS agent_wrote,
    MIN(ai_answers) AS ai_answers,
    -- the last AI answer: when, and whether it says
    MAX(CASE WHEN role = 'assistant' AND event_index = last_answer THEN event_at END)
      AS answered_at,
    MAX(CASE WHEN role = 'assistant' AND event_index = last_answer AND event_at IS NULL
      THEN 1 ELSE 0 END) AS answer_untimed,
    MAX(CASE WHEN event_index = last_timed THEN event_at END) AS last_event_at,
    -- greeting_only: the customer's last message before the answer, and the last of
    -- theirs before it that was a greeting (the same message when it was one)
    MAX(CASE WHEN role = 'user' AND event_index < last_answer THEN event_index END) AS asked,
    MAX(CASE WHEN role = 'user' AND event_index < last_answer AND greeting
      THEN event_index END) AS greeted,
    -- assumed_after: the customer's messages after the last answer
    SUM(CASE WHEN role = 'user' AND event_index > last_answer THEN 1 ELSE 0 END)
      AS wrote_after,
    SUM(CASE WHEN role = 'user' AND event_index > last_answer AND event_at IS NULL
      THEN 1 ELSE 0 END) AS wrote_after_untimed,
    MIN(CASE WHEN role = 'user' AND event_index > last_answer THEN event_at END)
      AS first_wrote_after,
    MAX(CASE WHEN event_type = 'escalation' THEN 1 ELSE 0 END) AS escalation_events,
    SUM(is_retry * CASE WHEN event_type = 'llm_call' THEN 1 ELSE 0 END) AS retries,
    SUM(CASE WHEN event_type = 'llm_call' THEN 1 ELSE 0 END) AS llm_calls,
    SUM(llm_units + other_units) AS ai_units,
    SUM(human_units) AS human_units
    {{tier_columns}}
  FROM priced
  GROUP BY conversation_id
),
-- Each ticket judged clause by clause under its policy's rule, as
-- resolution.judge_resolution judges a conversation. A time clause says 'void',
-- 'stands', or 'untimed' when a time it needs is not given: not guessed, the ticket is
-- judged by the rest of the rule.
judged AS (
  SELECT
    t.*,
    -- status, resolved_by and unattributed: the (status, resolver) pairs that may count,
    -- the resolver null when the rule counts an outcome that does not say who
    CASE WHEN r.policy IS NOT NULL THEN 1 ELSE 0 END AS may_count,
    CASE
      WHEN NOT s.exclude_reopened OR NOT (t.reopened = 1 OR t.reopened_at IS NOT NULL)
        THEN 'stands'
      WHEN s.reopened_within_us IS NULL THEN 'void'
      -- only a reopening within the window after the resolution takes it back
      WHEN t.reopened_at IS NULL OR {_RESOLVED_AT} IS NULL THEN 'untimed'
      WHEN {_microseconds(_RESOLVED_AT, "t.reopened_at")} <= s.reopened_within_us
        THEN 'void'
      ELSE 'stands'
    END AS reopened_clause,
    CASE WHEN s.void_agent_message AND t.agent_wrote = 1 THEN 1 ELSE 0 END AS agent_voids,
    CASE WHEN t.csat < s.csat_below THEN 1 ELSE 0 END AS csat_voids,
    CASE WHEN s.void_greeting_only AND t.ai_answers = 1 AND t.asked = t.greeted
      THEN 1 ELSE 0 END AS greeting_voids,
    s.confirmed_only,
    CASE
      -- no window, no answer to wait after, or the customer did not write again
      WHEN s.assumed_after_us IS NULL OR t.ai_answers = 0 OR t.wrote_after = 0
        THEN 'stands'
      WHEN t.answer_untimed = 1 OR t.wrote_after_untimed > 0 THEN 'untimed'
      -- their first message after the answer came within the window
      WHEN {_microseconds("t.answered_at", "t.first_wrote_after")} <= s.assumed_after_us
        THEN 'void'
      ELSE 'stands'
    END AS assumed_after_clause
  FROM tickets AS t
  JOIN policies AS s ON s.policy = t.policy
  LEFT JOIN resolving AS r
    ON r.policy = t.policy AND r.status = t.outcome_status
   AND r.resolved_by IS NOT DISTINCT FROM t.outcome_resolved_by
),
-- The clauses in their order: the first that voids decides; a confirmed resolution
-- needs no waiting (`confirmed_only` and `assumed_after` are for the others).
verdicts AS (
  SELECT
    j.*,
    CASE WHEN j.may_count = 1 AND j.reopened_clause <> 'void'
          AND j.agent_voids = 0 AND j.csat_voids = 0 AND j.greeting_voids = 0
      THEN 1 ELSE 0 END AS not_voided_yet
  FROM judged AS j
),
-- Each calendar month's tickets of each policy in the logs, before --since and --until
-- cut them: the policy's monthly overhead is spread over them.
month_tickets AS (
  SELECT policy, month, COUNT(*) AS tickets
  FROM tickets
  WHERE month IS NOT NULL
  GROUP BY policy, month
),
scored AS (
  SELECT
    v.*,
    CASE WHEN v.not_voided_yet = 1
          AND (v.confirmed = 1
               OR (NOT v.confirmed_only AND v.assumed_after_clause <> 'void'))
      THEN 1 ELSE 0 END AS resolved,
    -- judged without a time a clause it reached needed (check's `untimed`, CPR410)
    CASE WHEN v.may_count = 1
          AND (v.reopened_clause = 'untimed'
               OR (v.not_voided_yet = 1 AND v.confirmed = 0 AND NOT v.confirmed_only
                   AND v.assumed_after_clause = 'untimed'))
      THEN 1 ELSE 0 END AS untimed,
    CASE WHEN v.escalation_events = 1 OR v.outcome_status = 'escalated'
      THEN 1 ELSE 0 END AS escalated,
    CAST(DATE_TRUNC('{{unit}}', v.started_at) AS DATE) AS period,
    m.tickets AS month_tickets
  FROM verdicts AS v
  LEFT JOIN month_tickets AS m ON m.policy = v.policy AND m.month = v.month
  WHERE v.started_at IS NULL
     OR ((:since IS NULL OR v.started_at >= CAST(:since AS TIMESTAMP))
         AND (:until IS NULL OR v.started_at < CAST(:until AS TIMESTAMP)))
)
-- One row per group, period, policy and calendar month (a week may straddle two): the
-- overhead of a month is worked out from its tickets here and in the month (build.py).
SELECT
  {{dimension}} AS grp,
  period,
  policy,
  month,
  MIN(month_tickets) AS month_tickets,
  COUNT(*) AS tickets,
  SUM(resolved) AS resolved,
  SUM(untimed) AS untimed,
  SUM(escalated) AS escalated,
  SUM(CASE WHEN resolved = 1 AND outcome_resolved_by = 'ai' AND automation = 'full'
      THEN 1 ELSE 0 END) AS auto_resolved,
  SUM(retries) AS retries,
  SUM(llm_calls) AS llm_calls,
  SUM(ai_units) AS ai_units,
  SUM(human_units) AS human_units
  {{tier_sums}}
FROM scored
GROUP BY {{dimension}}, period, policy, month
ORDER BY grp, period, policy, month
"""

# The columns of a scorecard row before the tier sums, in order.
SCORECARD_COLUMNS = (
    "grp",
    "period",
    "policy",
    "month",
    "month_tickets",
    "tickets",
    "resolved",
    "untimed",
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
    """One row per (group, period, policy, calendar month): counts and money sums, then
    one LLM spend sum per tier in `tiers` (same order). `until` is inclusive (a date);
    tickets without `started_at` come out with a null period (and month)."""
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
