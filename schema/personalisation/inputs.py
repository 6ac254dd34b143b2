"""Template and rule write inputs."""

from __future__ import annotations

from typing import Any

import strawberry

from analytics.personalisation.rules import Rule
from schema.personalisation.types import TemplateKind
from server.runners.personalisation import RULE_COLUMNS


@strawberry.input(description="A template: a unique name, its kind and its source.")
class TemplateInput:
    name: str
    kind: TemplateKind
    source: str


@strawberry.input(description="Fields to change; omitted fields keep their value.")
class TemplatePatch:
    name: str | None = None
    source: str | None = None


@strawberry.input(description="A rule: when condition holds, rules.<key> takes value.")
class RuleInput:
    name: str
    condition: str = strawberry.field(description="In the segment language over the "
                                                  "profile, score and local-time fields.")
    key: str = strawberry.field(description="Lower-case letters, digits and _ (up to 40).")
    value: str = strawberry.field(description="Up to 2000 characters.")
    priority: int = strawberry.field(default=0, description="-1000 to 1000; higher is "
                                                            "tried first.")
    enabled: bool = True

    def to_rule(self) -> Rule:
        """The rule in the one shape the runner and the analytics take (id 0: new)."""
        return Rule(0, self.name, self.condition, self.key, self.value, self.priority,
                    self.enabled)


@strawberry.input(description="Fields to change; omitted fields keep their value.")
class RulePatch:
    name: str | None = None
    condition: str | None = None
    key: str | None = None
    value: str | None = None
    priority: int | None = None
    enabled: bool | None = None

    def changes(self) -> dict[str, Any]:
        """The ``Rule`` fields given (None: keep)."""
        return {name: getattr(self, name) for name in RULE_COLUMNS}
