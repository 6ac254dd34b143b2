"""Personalisation: the injection corpus's time per payload, and the render rate for N
customers, beside plain (unsandboxed) Jinja2 rendering the same templates.

- every payload of ``tests/analytics/personalisation/injection_corpus.json`` refused or
  rendered harmlessly, each within 50 ms (the slowest of three runs is printed);
- N synthetic customers, each with the example rules evaluated (segment language, with
  the explanation of every condition) and a subject, body and call to action rendered
  in the sandbox; the peer is a plain ``jinja2.Environment`` rendering the same three
  templates with the same values, without rules, limits or allow-lists.

    python bench/personalisation.py                  # 5,000 customers
    python bench/personalisation.py --customers 20000
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from jinja2 import Environment  # noqa: E402

from analytics.personalisation.render import TokenValues, render_template  # noqa: E402
from analytics.personalisation.rules import (  # noqa: E402
    EXAMPLE_RULES,
    Rule,
    evaluate,
    rule_row,
)

CORPUS = ROOT / "tests" / "analytics" / "personalisation" / "injection_corpus.json"
PAYLOAD_GOAL_MS = 50.0
SUBJECT = '{{ rules.greeting | default("Hello") }} {{ first_name | default("there") }}: ' \
          '{{ rules.offer | default("new arrivals") }}'
BODY = """<h1>{{ rules.greeting | default("Hello") }}, {{ first_name | default("there") }}</h1>
<p>{{ rules.tone | default("Here is what's new") }}.</p>
{% if profile.favorite_category %}<p>New in {{ profile.favorite_category | title }}:</p>{% endif %}
<ul>{% for i in range(3) %}
<li>Pick {{ loop.index }} for {{ customer.country | default("you") }}</li>{% endfor %}</ul>
<p class="{{ rules.layout | default('two-column') }}">{{ rules.offer | default("") }}</p>"""
CTA = '{{ "Claim your offer" if rules.offer is defined else "Shop now" }}'
STAGES = ("new", "active", "at_risk", "dormant", "churned", "win_back")
LEVELS = ("none", "low", "medium", "high")
ZONES = ("Europe/Paris", "America/New_York", "Asia/Tokyo", None, "Not/AZone")


def customers(count: int, seed: int = 7) -> list[tuple[TokenValues, dict[str, Any]]]:
    rng = random.Random(seed)
    at = datetime(2026, 3, 20, 8, tzinfo=UTC)
    result = []
    for index in range(count):
        zone = rng.choice(ZONES)
        profile = {"lifecycle_stage": rng.choice(STAGES),
                   "engagement_level": rng.choice(LEVELS),
                   "preferred_category": rng.choice(("shoes", "bags", None)),
                   "device_preference": rng.choice(("mobile", "desktop", None)),
                   "purchases": rng.randint(0, 8),
                   "average_order_value": rng.choice((None, 25.0, 60.0, 140.0))}
        customer = {"id": f"c{index}", "first_name": rng.choice(("Ana", "Bo", None, "")),
                    "country": rng.choice(("FR", "US", "JP")), "timezone": zone}
        extra = {"value_tier": rng.choice(("high", "medium", "low", None))}
        result.append((TokenValues(customer=customer, profile=profile),
                       rule_row(profile, extra, timezone=zone, at=at)))
    return result


def corpus_times() -> list[tuple[str, str, float, float]]:
    data = json.loads(CORPUS.read_text(encoding="utf-8"))
    values = TokenValues(customer=data["customer"], rules=data["rules"],
                         rule_keys=frozenset(data["rules"]))
    rows = []
    for payload in data["payloads"]:
        slowest = cpu = 0.0
        outcome = ""
        for _ in range(3):
            started, started_cpu = time.perf_counter(), time.thread_time()
            rendered = render_template(payload["kind"], payload["source"], values)
            slowest = max(slowest, (time.perf_counter() - started) * 1000)
            cpu = max(cpu, (time.thread_time() - started_cpu) * 1000)
            outcome = "refused" if rendered.text is None else "rendered"
        rows.append((payload["name"], outcome, slowest, cpu))
    return rows


def sandboxed(people: list[tuple[TokenValues, dict[str, Any]]]) -> float:
    rules = [Rule(index + 1, rule.name, rule.condition, rule.key, rule.value, rule.priority)
             for index, rule in enumerate(EXAMPLE_RULES)]
    keys = frozenset(rule.key for rule in rules)
    started = time.perf_counter()
    for values, row in people:
        outcome = evaluate(rules, row)
        chosen = TokenValues(values.customer, values.profile, rules=outcome.chosen,
                             rule_keys=keys)
        for kind, source in (("subject", SUBJECT), ("body", BODY), ("cta", CTA)):
            rendered = render_template(kind, source, chosen)
            if rendered.text is None:
                raise SystemExit(f"{kind} refused for {values.customer['id']}: "
                                 f"{rendered.error}")
    return time.perf_counter() - started


def plain(people: list[tuple[TokenValues, dict[str, Any]]]) -> float:
    environment = Environment(autoescape=True)
    templates = [environment.from_string(source) for source in (SUBJECT, BODY, CTA)]
    started = time.perf_counter()
    for values, _ in people:
        profile = dict(values.profile, favorite_category=values.profile.get(
            "preferred_category"))
        context = {"customer": values.customer, "profile": profile, "rules": {},
                   "first_name": values.customer.get("first_name") or None}
        for template in templates:
            template.render(context)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=5000)
    args = parser.parse_args()
    rows = corpus_times()
    print(f"injection corpus: {len(rows)} payloads, goal <= {PAYLOAD_GOAL_MS:.0f} ms each "
          "(slowest of 3 runs: wall clock, and this thread's CPU time)")
    for name, outcome, ms, cpu in sorted(rows, key=lambda row: -row[2]):
        flag = "" if ms <= PAYLOAD_GOAL_MS else "  OVER GOAL (wall)"
        print(f"  {ms:7.2f} ms wall {cpu:7.2f} ms cpu  {outcome:8}  {name}{flag}")
    over = [name for name, _, ms, _ in rows if ms > PAYLOAD_GOAL_MS]
    print(f"  slowest {max(row[2] for row in rows):.2f} ms wall, "
          f"{max(row[3] for row in rows):.2f} ms cpu; over the goal (wall): "
          f"{', '.join(over) or 'none'}")
    people = customers(args.customers)
    sandboxed(people[:50])  # compile the templates once, as a server would have
    ours = sandboxed(people)
    peer = plain(people)
    print(f"render {args.customers} customers (rules + subject + body + cta, sandboxed): "
          f"{ours:.3f} s = {args.customers / ours:,.0f} customers/s")
    print(f"peer: plain Jinja2, same templates, no rules or limits: {peer:.3f} s = "
          f"{args.customers / peer:,.0f} customers/s; sandbox and rules cost "
          f"{ours / peer:.1f}x")


if __name__ == "__main__":
    main()
