"""Write a synthetic cprlint project of N conversations, for the performance bench.

    python bench/make_corpus.py --conversations N [--join K] OUT_DIR

OUT_DIR becomes a git repository with two commits:

* tag `base`: `policies/policy.yaml` (one policy, 30 intents), `prompts/` (router,
  answer, billing, handoff, each released at v1) and `fixtures/part-NNNN.jsonl` (N
  conversations, 10,000 a file);
* tag `head`, branch `main`: every prompt gets a longer v2 and `released: v2`; the
  policy and the fixtures are unchanged, so `cprlint check OUT_DIR --base base` compares
  two released versions of every prompt.

With `--join K`, each line holds the events of K conversations made in a row, under the
first one's intent: long conversations (some thirty events for K = 3) whose calls mostly
break their intent's routing, a stress test of long lines and of tens of thousands of
findings, not a realistic project.

The output depends on N, --seed and --join only: one seeded `random.Random`, no clock, fixed
author, committer and dates for git, so the commit SHAs are reproducible. The corpus of
N conversations is a prefix of the corpus of any larger N. Conversations are written as
they are made, never all held in memory. Customers are placeholders ("Customer 04711");
no e-mail address, phone number or card number appears.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from random import Random
from typing import cast

DEFAULT_SEED = 20261123
PER_FILE = 10_000
PROJECT = "bench"

ECONOMY, STANDARD = "gpt-4o-mini", "gpt-4.1-mini"
PREMIUM = ("gpt-4o", "claude-sonnet-4")
TIER_MODELS = {"economy": (ECONOMY,), "standard": (STANDARD,), "premium": PREMIUM}
FALLBACK = {
    "gpt-4o-mini": "gpt-4.1-mini",
    "gpt-4.1-mini": "gpt-4o-mini",
    "gpt-4o": "claude-sonnet-4",
    "claude-sonnet-4": "gpt-4o",
}
ANTHROPIC = ("claude-sonnet-4",)

# Queues and the tools' prices.
QUEUES = ("account", "cards", "payments", "billing", "orders")
TOOL_PRICES = {
    "lookup_account": 0.0001,
    "lookup_card": 0.0002,
    "lookup_order": 0.0001,
    "lookup_transfer": 0.0002,
    "lookup_invoice": 0.0002,
    "refund_order": 0.0005,
    "freeze_card": 0.0005,
    "search_faq": 0.0001,
}


@dataclass(frozen=True)
class Intent:
    name: str
    risk: str
    tier: str
    queue: str
    weight: int
    tools: tuple[str, ...]
    retrieval: float  # chance of a retrieval
    escalation: float  # share of partial automation (AI, then a human)
    billing: bool = False  # answered with the billing prompt


# fmt: off
INTENTS = (
    Intent("password_reset", "low", "economy", "account", 60, ("lookup_account",), 0.2, 0.05),
    Intent("update_address", "low", "economy", "account", 25, ("lookup_account",), 0.1, 0.05),
    Intent("statement_download", "low", "economy", "account", 20, ("lookup_account",), 0.3, 0.03),
    Intent("change_plan", "low", "standard", "account", 20, ("lookup_account", "search_faq"), 0.5, 0.08),
    Intent("verify_identity", "medium", "standard", "account", 25, ("lookup_account",), 0.3, 0.20),
    Intent("close_account", "medium", "standard", "account", 10, ("lookup_account",), 0.4, 0.30),
    Intent("account_compromised", "high", "premium", "account", 8, ("lookup_account",), 0.5, 0.40),
    Intent("card_arrival", "low", "economy", "cards", 55, ("lookup_card",), 0.4, 0.05),
    Intent("card_activation", "low", "economy", "cards", 30, ("lookup_card",), 0.3, 0.05),
    Intent("pin_blocked", "low", "economy", "cards", 25, ("lookup_card",), 0.2, 0.08),
    Intent("declined_card_payment", "medium", "standard", "cards", 35, ("lookup_card", "search_faq"), 0.5, 0.12),
    Intent("card_limit", "low", "standard", "cards", 15, ("lookup_card", "search_faq"), 0.5, 0.05),
    Intent("lost_or_stolen_card", "high", "premium", "cards", 25, ("lookup_card", "freeze_card"), 0.4, 0.25),
    Intent("unauthorized_transaction", "high", "premium", "cards", 15, ("lookup_card", "freeze_card"), 0.5, 0.35),
    Intent("exchange_rate", "low", "standard", "payments", 30, ("search_faq",), 0.7, 0.05),
    Intent("top_up_pending", "low", "economy", "payments", 25, ("lookup_transfer",), 0.3, 0.08),
    Intent("transfer_not_received", "medium", "standard", "payments", 45, ("lookup_transfer",), 0.5, 0.15),
    Intent("direct_debit_issue", "medium", "standard", "payments", 15, ("lookup_transfer", "search_faq"), 0.5, 0.15),
    Intent("cash_withdrawal_issue", "medium", "premium", "payments", 12, ("lookup_transfer",), 0.4, 0.25),
    Intent("fees_question", "low", "economy", "billing", 20, ("search_faq",), 0.8, 0.03),
    Intent("invoice_copy", "low", "economy", "billing", 15, ("lookup_invoice",), 0.1, 0.03, True),
    Intent("subscription_cancel", "medium", "standard", "billing", 18, ("lookup_invoice", "lookup_account"), 0.3, 0.15, True),
    Intent("billing_dispute", "high", "premium", "billing", 30, ("lookup_invoice",), 0.5, 0.30, True),
    Intent("duplicate_charge", "high", "premium", "billing", 20, ("lookup_invoice",), 0.4, 0.20, True),
    Intent("chargeback_status", "high", "premium", "billing", 10, ("lookup_invoice",), 0.3, 0.25, True),
    Intent("order_status", "low", "economy", "orders", 50, ("lookup_order",), 0.2, 0.04),
    Intent("delivery_delay", "low", "economy", "orders", 30, ("lookup_order",), 0.3, 0.10),
    Intent("return_item", "medium", "standard", "orders", 25, ("lookup_order", "search_faq"), 0.5, 0.10),
    Intent("refund_request", "medium", "standard", "orders", 30, ("lookup_order", "refund_order"), 0.4, 0.18),
    Intent("wrong_item", "medium", "standard", "orders", 15, ("lookup_order", "refund_order"), 0.3, 0.20),
)
# fmt: on
# Intents the policy does not list: they fall to its `default` intent.
UNLISTED = (
    Intent("other", "medium", "standard", "account", 12, ("search_faq",), 0.5, 0.25),
    Intent("feedback", "medium", "standard", "account", 6, (), 0.0, 0.10),
)
ALL_INTENTS = INTENTS + UNLISTED
INTENT_WEIGHTS = [intent.weight for intent in ALL_INTENTS]

# Budgets per risk level (cost per resolution, USD): generous, so a healthy corpus passes.
RISK_BUDGET = {"low": 0.01, "medium": 0.06, "high": 0.10}

# Number of user turns a conversation has (each turn is one `generate` call); mean 4.8.
TURN_WEIGHTS = (4, 9, 14, 18, 18, 15, 12, 10)

PLANS = ("Standard", "Plus", "Premium", "Metal", "Business")
MERCHANTS = (
    "NORTHWIND TRADERS",
    "CONTOSO MARKET",
    "FABRIKAM STORE",
    "ADVENTURE WORKS",
    "TAILSPIN TOYS",
    "WINGTIP FOODS",
    "LITWARE BOOKS",
    "PROSEWARE AUDIO",
)
CURRENCIES = ("EUR", "GBP", "USD", "CHF")
MONTHS = ("Sep", "Oct", "Nov")
FIRST_MESSAGES = {
    "password": "I can't log in, the app says my passcode is wrong",
    "address": "I moved house and need to change my address",
    "statement": "Where can I download my statement for {month}?",
    "plan": "I'd like to switch to the {plan} plan, what changes?",
    "identity": "The app keeps asking me to verify my identity again",
    "close": "Please close my account, I don't use it any more",
    "compromised": "Someone changed my settings, I think my account was hacked",
    "arrival": "My new card still hasn't arrived, it was ordered on {day} {month}",
    "activation": "How do I activate the card I just received?",
    "pin": "My PIN is blocked after I typed it wrong",
    "declined": "My card was declined at {merchant} for {amount}",
    "limit": "Can I raise my daily card limit?",
    "stolen": "My wallet was stolen yesterday with my card in it",
    "unauthorized": "There is a payment of {amount} at {merchant} that I never made",
    "rate": "Why was the exchange rate different from the one in the app?",
    "topup": "My top-up of {amount} is still pending",
    "transfer": "My transfer of {amount} hasn't arrived after {days} days",
    "debit": "A direct debit of {amount} was taken twice this month",
    "cash": "The ATM didn't give me the cash but my balance went down by {amount}",
    "fees": "What fees do you charge for payments abroad?",
    "invoice": "Can I get a copy of my invoice for {month}?",
    "cancel": "I want to cancel my subscription before the next charge",
    "dispute": "I don't recognise a charge of {amount} from {merchant}",
    "duplicate": "I was charged twice for the same purchase at {merchant}",
    "chargeback": "What's the status of the chargeback I opened in {month}?",
    "order": "Where is my order {order}?",
    "delay": "My order {order} is late, it should have arrived {days} days ago",
    "return": "How do I return an item from order {order}?",
    "refund": "I returned order {order}, when will I get my refund?",
    "wrong": "I received the wrong item in order {order}",
    "other": "I have a question about my account",
    "feedback": "Just wanted to say your app is slow lately",
}
MESSAGE_KEY = {
    "password_reset": "password",
    "update_address": "address",
    "statement_download": "statement",
    "change_plan": "plan",
    "verify_identity": "identity",
    "close_account": "close",
    "account_compromised": "compromised",
    "card_arrival": "arrival",
    "card_activation": "activation",
    "pin_blocked": "pin",
    "declined_card_payment": "declined",
    "card_limit": "limit",
    "lost_or_stolen_card": "stolen",
    "unauthorized_transaction": "unauthorized",
    "exchange_rate": "rate",
    "top_up_pending": "topup",
    "transfer_not_received": "transfer",
    "direct_debit_issue": "debit",
    "cash_withdrawal_issue": "cash",
    "fees_question": "fees",
    "invoice_copy": "invoice",
    "subscription_cancel": "cancel",
    "billing_dispute": "dispute",
    "duplicate_charge": "duplicate",
    "chargeback_status": "chargeback",
    "order_status": "order",
    "delivery_delay": "delay",
    "return_item": "return",
    "refund_request": "refund",
    "wrong_item": "wrong",
    "other": "other",
    "feedback": "feedback",
}
FOLLOW_UPS = (
    "Okay, and how long will that take?",
    "That didn't work, what else can I try?",
    "Can you check again please?",
    "Thanks. Is there anything I need to do?",
    "I already tried that yesterday.",
    "Will I be charged for this?",
    "Can you send me a confirmation?",
    "Why does this keep happening?",
    "Fine, go ahead.",
    "Could you explain that in simpler words?",
)
REPLIES = (
    "I have checked your account and here is what I found.",
    "Thanks for waiting, I looked into this for you.",
    "Here is what happens next.",
    "I understand, let me explain.",
    "Done. You will see the change shortly.",
)
RETRIEVAL_QUERIES = (
    "fees for payments abroad",
    "card delivery times",
    "refund processing times",
    "chargeback process",
    "transfer delays receiving bank",
    "identity verification documents",
    "plan comparison",
    "return policy",
)
ESCALATION_REASONS = (
    "customer asked for a human",
    "refund over the automated limit",
    "identity could not be verified",
    "policy exception needed",
    "repeated failed answers",
)

INTENT_NAMES = ", ".join(intent.name for intent in INTENTS)
PROMPT_FILES = {
    "router": {
        "v1": (
            "Classify the message from {{ customer_name }} into one of these intents: "
            f"{INTENT_NAMES}, other. Answer with the intent name only.\n\n"
            "Message: {{ message }}\n"
        ),
        "v2": (
            "You route support tickets for a retail bank and shop. Read the message from "
            "{{ customer_name }} and answer with exactly one intent name from this list, "
            f"nothing else: {INTENT_NAMES}, other.\n"
            "If the message mentions more than one problem, pick the one the customer asks "
            "about first. If none fits, answer other.\n\n"
            "Message: {{ message }}\n"
        ),
    },
    "answer": {
        "v1": (
            "You are a support assistant. The customer is {{ customer_name }} on the "
            "{{ plan }} plan. Answer using only the account facts below, in plain words.\n\n"
            "Facts:\n{{ facts }}\n"
        ),
        "v2": (
            "You are a support assistant. The customer is {{ customer_name }} on the "
            "{{ plan }} plan. Answer using only the account facts below, in plain words, "
            "in at most four sentences.\n"
            "Never ask for a full card number, a PIN or a password. If a fact is missing, "
            "say what you will check and when the customer hears back. End with one clear "
            "next step.\n\n"
            "Facts:\n{{ facts }}\n"
        ),
    },
    "billing": {
        "v1": (
            "You are the billing assistant. {{ customer_name }} ({{ plan }} plan) asks "
            "about the statement line below. Explain it and say what happens next.\n\n"
            "Statement line: {{ statement_line }}\nAmount: {{ invoice_total }}\n"
        ),
        "v2": (
            "You are the billing assistant. {{ customer_name }} ({{ plan }} plan) asks "
            "about the statement line below. Explain it in plain words and say what "
            "happens next.\n"
            "If the charge is a duplicate or the merchant is unknown to the customer, open "
            "a dispute and give its reference. Refunds take up to five working days; say "
            "so.\n\n"
            "Statement line: {{ statement_line }}\nAmount: {{ invoice_total }}\n"
        ),
    },
    "handoff": {
        "v1": (
            "Summarise this conversation with {{ customer_name }} for a human agent in "
            "three bullet points.\n\n{{ summary }}\n"
        ),
        "v2": (
            "Summarise this conversation with {{ customer_name }} for the human agent who "
            "takes it over: the customer's problem, what was already tried, and what they "
            "are waiting for. Three short bullets, no greeting.\n\n{{ summary }}\n"
        ),
    },
}
PROMPT_OWNERS = {
    "router": "@bench/platform",
    "answer": "@bench/support",
    "billing": "@bench/billing",
    "handoff": "@bench/support-ops",
}
# Rough token counts of the v1 templates (4 characters a token), so that recorded usage
# is at least what the template itself takes.
TEMPLATE_TOKENS = {name: len(files["v1"]) // 4 for name, files in PROMPT_FILES.items()}


@dataclass
class Totals:
    conversations: int = 0
    llm_calls: int = 0
    bytes: int = 0
    files: int = 0


def token_estimate(text: str) -> int:
    return len(text) // 4 + 1


class ConversationMaker:
    """Makes one conversation after another from one seeded random generator."""

    def __init__(self, seed: int) -> None:
        self.rng = Random(seed)
        self.last_calls = 0  # llm calls of the conversation made last

    def usage(self, model: str, input_tokens: int, output_tokens: int) -> dict[str, int]:
        rng = self.rng
        input_tokens = max(100, min(input_tokens, 3000))
        usage = {"input_tokens": input_tokens, "output_tokens": output_tokens}
        if model in ANTHROPIC:
            if input_tokens >= 1024 and rng.random() < 0.4:
                usage["cached_input_tokens"] = rng.randint(1024, input_tokens)
            elif input_tokens >= 1024 and rng.random() < 0.3:
                usage["cache_write_tokens"] = rng.randint(1024, input_tokens)
        elif input_tokens >= 1024 and rng.random() < 0.5:
            # OpenAI prompt caching: 1,024 tokens and up, in steps of 128.
            usage["cached_input_tokens"] = 1024 + 128 * rng.randint(0, (input_tokens - 1024) // 128)
        return usage

    def make(self, number: int) -> dict[str, object]:
        rng = self.rng
        intent = rng.choices(ALL_INTENTS, weights=INTENT_WEIGHTS)[0]
        customer = rng.randint(1, 99_999)
        amount = f"{rng.choice(CURRENCIES)} {rng.randint(3, 480)}.{rng.randint(0, 99):02d}"
        merchant = rng.choice(MERCHANTS)
        order = f"ORD-{rng.randint(100_000, 999_999)}"
        day, month = rng.randint(1, 28), rng.choice(MONTHS)
        plan = rng.choice(PLANS)
        text = FIRST_MESSAGES[MESSAGE_KEY[intent.name]].format(
            amount=amount,
            merchant=merchant,
            order=order,
            day=day,
            month=month,
            plan=plan,
            days=rng.randint(2, 9),
        )
        facts = (
            f"customer since {rng.randint(2012, 2025)}; {intent.queue} case {order}; "
            f"last activity {day} {month}: {amount} at {merchant}; "
            f"status {rng.choice(('open', 'pending', 'in review', 'completed'))}"
        )
        conversation_vars: dict[str, str] = {
            "customer_name": f"Customer {customer:05d}",
            "plan": plan,
            "facts": facts,
        }
        prompt = "answer"
        event_vars: dict[str, str] | None = None
        if intent.billing:
            prompt = "billing"
            conversation_vars["statement_line"] = f"CARD PAYMENT  {merchant}  {amount}"
            event_vars = {"invoice_total": amount}

        roll = rng.random()
        if roll < intent.escalation:
            automation = "partial"
        elif roll < intent.escalation + 0.10:
            automation = "assisted"
        else:
            automation = "full"
        escalated = automation != "full" and (automation == "partial" or rng.random() < 0.5)
        model = rng.choice(TIER_MODELS[intent.tier])

        events: list[dict[str, object]] = [{"type": "message", "role": "user", "text": text}]
        calls = 0

        def llm_call(
            stage: str,
            prompt_id: str | None,
            model_name: str,
            attempt: int,
            status: str,
            usage: dict[str, int],
            *,
            fallback: bool = False,
            call_vars: dict[str, str] | None = None,
        ) -> None:
            nonlocal calls
            call: dict[str, object] = {"type": "llm_call", "stage": stage}
            if prompt_id is not None:
                call["prompt"] = prompt_id
                call["prompt_version"] = "v1"
            call.update(model=model_name, attempt=attempt, status=status)
            if fallback:
                call["fallback"] = True
            if call_vars:
                call["vars"] = call_vars
            call["usage"] = usage
            events.append(call)
            calls += 1

        # 1. classify, in the economy tier; now and then a failed first attempt.
        classify_in = TEMPLATE_TOKENS["router"] + token_estimate(text) + rng.randint(0, 20)
        router_vars = {"message": text}
        if rng.random() < 0.03:
            llm_call("classify", "router", ECONOMY, 1, "error", {"input_tokens": classify_in, "output_tokens": 0}, call_vars=router_vars)  # fmt: skip
            llm_call("classify", "router", ECONOMY, 2, "ok", {"input_tokens": classify_in, "output_tokens": rng.randint(10, 16)}, call_vars=router_vars)  # fmt: skip
        else:
            llm_call("classify", "router", ECONOMY, 1, "ok", {"input_tokens": classify_in, "output_tokens": rng.randint(10, 16)}, call_vars=router_vars)  # fmt: skip

        # 2. tools (now and then one identical repeat) and retrievals.
        context_tokens = 0
        for tool in intent.tools:
            args = {"customer": f"C-{customer:05d}"}
            if tool in ("lookup_order", "refund_order"):
                args["order"] = order
            elif tool == "search_faq":
                args["query"] = rng.choice(RETRIEVAL_QUERIES)
            elif tool in ("lookup_invoice", "lookup_transfer"):
                args["month"] = month
            repeats = 2 if rng.random() < 0.05 else 1
            for _ in range(repeats):
                status = "error" if rng.random() < 0.02 else "ok"
                events.append(
                    {
                        "type": "tool_call",
                        "stage": "tool",
                        "name": tool,
                        "args": args,
                        "status": status,
                    }
                )
        if rng.random() < intent.retrieval:
            for _ in range(2 if rng.random() < 0.2 else 1):
                tokens = rng.randint(200, 2500)
                context_tokens += tokens
                events.append(
                    {
                        "type": "retrieval",
                        "stage": "retrieve",
                        "query": rng.choice(RETRIEVAL_QUERIES),
                        "context_tokens": tokens,
                    }
                )

        # 3. the turns: one generate call each; one retry episode or one fallback at most.
        turns = rng.choices(range(1, len(TURN_WEIGHTS) + 1), weights=TURN_WEIGHTS)[0]
        trouble_turn = rng.randrange(turns)
        trouble = rng.random()
        history = token_estimate(text) + 4
        base_in = TEMPLATE_TOKENS[prompt] + token_estimate(facts) + min(context_tokens, 1600)
        for turn in range(turns):
            if turn:
                follow_up = rng.choice(FOLLOW_UPS)
                events.append({"type": "message", "role": "user", "text": follow_up})
                history += token_estimate(follow_up) + 4
            gen_in = min(base_in + history + rng.randint(0, 60), 3000)
            gen_out = rng.randint(30, 400)
            attempt = 1
            if turn == trouble_turn and trouble < 0.10:
                failures = 2 if trouble < 0.03 else 1
                for _ in range(failures):
                    llm_call("generate", prompt, model, attempt, "error", {"input_tokens": gen_in, "output_tokens": 0}, call_vars=event_vars)  # fmt: skip
                    attempt += 1
            elif turn == trouble_turn and trouble < 0.14:
                llm_call("generate", prompt, model, 1, "error", {"input_tokens": gen_in, "output_tokens": 0}, call_vars=event_vars)  # fmt: skip
                llm_call("generate", prompt, FALLBACK[model], 2, "ok", self.usage(FALLBACK[model], gen_in, gen_out), fallback=True, call_vars=event_vars)  # fmt: skip
                attempt = 0
            if attempt:
                llm_call("generate", prompt, model, attempt, "ok", self.usage(model, gen_in, gen_out), call_vars=event_vars)  # fmt: skip
            events.append({"type": "message", "role": "assistant", "text": rng.choice(REPLIES)})
            history += gen_out + 8

        # A call no prompt file manages: a short summary of the tool results.
        if rng.random() < 0.05:
            llm_call("summarize", None, model, 1, "ok", self.usage(model, 150 + rng.randint(0, 400), rng.randint(10, 80)))  # fmt: skip

        # 4. escalation: a handoff summary, then a human.
        if escalated:
            summary = f"{intent.name.replace('_', ' ')}; {turns} turns; case {order}"
            if automation == "partial":
                handoff_in = TEMPLATE_TOKENS["handoff"] + min(history, 2500)
                llm_call("handoff", "handoff", STANDARD, 1, "ok", self.usage(STANDARD, handoff_in, rng.randint(40, 160)), call_vars={"summary": summary})  # fmt: skip
            events.append(
                {
                    "type": "escalation",
                    "reason": rng.choice(ESCALATION_REASONS),
                    "handle_minutes": rng.randint(2, 40) / 2,
                }
            )

        # 5. the outcome: mostly resolved, with an unresolved tail.
        roll = rng.random()
        if escalated:
            outcome = {"status": "resolved", "resolved_by": "human", "reopened": roll < 0.03}
            if roll > 0.85:
                outcome = {"status": "escalated" if roll < 0.95 else "abandoned"}
        else:
            resolved_by = "human" if automation == "assisted" else "ai"
            outcome = {"status": "resolved", "resolved_by": resolved_by, "reopened": roll < 0.02}
            if roll > 0.92:
                outcome = {"status": "abandoned" if roll < 0.98 else "open"}

        self.last_calls = calls
        return {
            "id": f"B-{number:08d}",
            "intent": intent.name,
            "queue": intent.queue,
            "project": PROJECT,
            "automation": automation,
            "vars": conversation_vars,
            "outcome": outcome,
            "events": events,
        }


def write_fixtures(fixtures: Path, conversations: int, seed: int, join: int = 1) -> Totals:
    """Streams `conversations` conversations into fixtures/part-NNNN.jsonl; with `join`,
    each holds the events of that many conversations made in a row (the first's id,
    intent, variables and outcome)."""
    fixtures.mkdir(parents=True, exist_ok=True)
    maker = ConversationMaker(seed)
    totals = Totals()
    for first in range(0, conversations, PER_FILE):
        path = fixtures / f"part-{totals.files:04d}.jsonl"
        with path.open("wb") as handle:
            for number in range(first, min(first + PER_FILE, conversations)):
                conversation = maker.make(join * number + 1)
                totals.llm_calls += maker.last_calls
                events = cast(list[object], conversation["events"])
                for made in range(join * number + 2, join * number + join + 1):
                    events += cast(list[object], maker.make(made)["events"])
                    totals.llm_calls += maker.last_calls
                line = json.dumps(conversation, ensure_ascii=False).encode() + b"\n"
                handle.write(line)
                totals.bytes += len(line)
                totals.conversations += 1
        totals.files += 1
    return totals


def policy_text(*, economy_only: bool = False) -> str:
    """The bench policy; `economy_only`: every risk level allows the economy tier alone,
    as a change that moves all traffic to the cheapest model would have it, so that most
    calls break their routing (CPR506): a realistic run with a finding in every other
    call, for `bench/run.py --drift`."""
    risk = (
        ["  low: [economy]", "  medium: [economy]", "  high: [economy]"]
        if economy_only
        else ["  low: [economy, standard]", "  medium: [standard, premium]", "  high: [premium]"]
    )
    lines = [
        "# Policy of the cprlint performance bench (bench/make_corpus.py): budgets are",
        "# generous, so that the synthetic corpus passes and the bench times a clean run.",
        "apiVersion: cprlint/v1",
        "kind: Policy",
        "metadata:",
        "  name: bench-support",
        "  version: 1",
        '  owners: ["@bench/platform"]',
        "currency: USD",
        "pricing:",
        "  catalog: builtin",
        "  as_of: 2026-11-01",
        "  retrieval: {per_query: 0.0004}",
        "  tools: {"
        + ", ".join(f"{name}: {price}" for name, price in TOOL_PRICES.items())
        + ", default: 0}",
        "  human: {per_minute: 0.90}",
        "tiers:",
        f"  economy: [{ECONOMY}]",
        f"  standard: [{STANDARD}]",
        f"  premium: [{', '.join(PREMIUM)}]",
        "risk:",
        *risk,
        "routing:",
        "  stages: {classify: economy, handoff: standard}",
        "intents:",
    ]
    width = max(len(intent.name) for intent in INTENTS) + 1
    for intent in INTENTS:
        lines.append(
            f"  {intent.name + ':':<{width}} {{risk: {intent.risk}, tier: {intent.tier}, "
            f"budget: {RISK_BUDGET[intent.risk]}}}"
        )
    lines += [
        f"  {'default:':<{width}} {{risk: medium, tier: standard}}",
        "retries:",
        "  max_per_stage: {classify: 1, generate: 2, handoff: 1, summarize: 0}",
        "  max_fallbacks: 1",
        "  max_identical_tool_calls: 2",
        "budgets:",
        "  cost_per_resolution: 0.02",
        "  queues: {" + ", ".join(f"{queue}: 0.05" for queue in QUEUES) + "}",
        "  automation: {full: 0.02}",
        "  max_input_tokens: 8000",
        "  max_context_tokens: 3000",
        "quality:",
        "  min_resolution_rate: 0.60",
        "  max_escalation_rate: 0.40",
        "creep:",
        "  max_tokens_pct: 30",
        "  max_cost_pct: 20",
        "  max_cumulative_pct: 40",
        "  min_conversations: 30",
        "resolution:",
        "  statuses: [resolved]",
        "  resolved_by: [ai, human]",
        "  exclude_reopened: true",
        "traffic:",
        "  monthly_tickets: 250000",
        "  mix: {password_reset: 0.3, order_status: 0.3, transfer_not_received: 0.25, "
        "billing_dispute: 0.15}",
    ]
    return "\n".join(lines) + "\n"


def write_prompts(root: Path, version: str) -> None:
    for prompt_id, files in PROMPT_FILES.items():
        folder = root / "prompts" / prompt_id
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{version}.md").write_text(files[version], encoding="utf-8")
        (folder / "prompt.yaml").write_text(
            f'id: {prompt_id}\nreleased: {version}\nowners: ["{PROMPT_OWNERS[prompt_id]}"]\n',
            encoding="utf-8",
        )


def git(root: Path, *args: str, date: str = "2026-11-20T09:00:00+00:00") -> None:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    environment.update(
        GIT_AUTHOR_NAME="cprlint bench",
        GIT_AUTHOR_EMAIL="bench@cprlint.invalid",
        GIT_AUTHOR_DATE=date,
        GIT_COMMITTER_NAME="cprlint bench",
        GIT_COMMITTER_EMAIL="bench@cprlint.invalid",
        GIT_COMMITTER_DATE=date,
        # Neither the user's nor the system's git configuration (signing, hooks, ...).
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
    )
    subprocess.run(
        ["git", "-c", "core.compression=1", "-c", "core.autocrlf=false", *args],
        cwd=root,
        env=environment,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def make_corpus(
    root: Path, conversations: int, *, seed: int = DEFAULT_SEED, join: int = 1
) -> Totals:
    """Writes the project into `root` (which must not exist, or be empty)."""
    if root.exists() and any(root.iterdir()):
        raise SystemExit(f"make_corpus: {root} exists and is not empty")
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "--quiet", "--template=", "--initial-branch=main")
    (root / ".gitignore").write_text(".cprlint/cache/\n", encoding="utf-8")
    (root / "policies").mkdir()
    (root / "policies" / "policy.yaml").write_text(policy_text(), encoding="utf-8")
    write_prompts(root, "v1")
    totals = write_fixtures(root / "fixtures", conversations, seed, join)
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "--no-verify", "-m", "Bench corpus: prompts at v1")
    git(root, "tag", "base")

    write_prompts(root, "v2")
    git(root, "add", "--all")
    git(
        root,
        "commit",
        "--quiet",
        "--no-verify",
        "-m",
        "Release v2 of every prompt",
        date="2026-11-21T09:00:00+00:00",
    )
    git(root, "tag", "head")
    return totals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, required=True, metavar="N")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--join",
        type=int,
        default=1,
        metavar="K",
        help="put the events of K conversations on each line (a stress test: see above)",
    )
    parser.add_argument("out_dir", type=Path, metavar="OUT_DIR")
    options = parser.parse_args(argv)
    if options.conversations < 1:
        parser.error("--conversations must be at least 1")
    if options.join < 1:
        parser.error("--join must be at least 1")
    totals = make_corpus(
        options.out_dir, options.conversations, seed=options.seed, join=options.join
    )
    print(
        f"{totals.conversations} conversations, {totals.llm_calls} llm calls, "
        f"{totals.bytes} bytes in {totals.files} fixture files -> {options.out_dir}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
