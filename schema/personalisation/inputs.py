"""Template and rule write inputs."""

from __future__ import annotations

import strawberry

from schema.personalisation.types import TemplateKind


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
    condition: str
    key: str
    value: str
    priority: int = 0
    enabled: bool = True


@strawberry.input(description="Fields to change; omitted fields keep their value.")
class RulePatch:
    name: str | None = None
    condition: str | None = None
    key: str | None = None
    value: str | None = None
    priority: int | None = None
    enabled: bool | None = None
