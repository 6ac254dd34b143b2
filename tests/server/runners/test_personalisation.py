"""The personalisation runner: templates are saved only when they lint clean, rules are
checked when saved, previews show three very different customers with the rules that
fired, and a campaign's content comes from its linked templates."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from analytics.personalisation.rules import Rule
from server.runners import personalisation as runner
from tests.worlds.personalisation import RENDER_AT, load_shop, publish_ltv_scores

Problem = runner.PersonalisationProblem


@pytest.fixture
def shop(engine: Engine) -> Engine:
    return load_shop(engine)


def test_token_gaps_say_how_often_each_field_is_empty(shop: Engine):
    customers, shares = runner.token_gaps(shop)
    assert customers == 4
    assert (shares["customer.first_name"], shares["customer.last_name"],
            shares["customer.country"]) == (0.25, 0.5, 0.0)
    assert shares["profile.lifecycle_stage"] == 0.0
    assert shares["profile.value_tier"] == 0.5  # u2 and u4 have no orders
    assert shares["scores.predicted_clv"] == 1.0  # nothing scored yet
    assert shares["rules.offer"] == 0.5  # u2 and u4 have bought nothing
    frame = runner.rule_frame(shop, runner.all_profiles(shop), runner.score_frame(shop),
                              RENDER_AT)
    assert frame.select("local_hour", "has_first_name", "purchases").rows() == [
        (8.0, True, 3), (9.0, True, 0), (4.0, True, 1), (17.0, False, 0)]


def test_templates_save_only_when_they_lint_clean_and_count_versions(shop: Engine):
    with pytest.raises(Problem) as caught:
        runner.create_template(shop, name="Welcome", kind="body",
                               source="Hi {{ customer.first_nme }}")
    assert (caught.value.field, caught.value.line, caught.value.column) == ("source", 1, 7)
    assert str(caught.value) == ("line 1, column 7: unknown token customer.first_nme — did "
                                 "you mean customer.first_name?")
    assert runner.templates_page(shop, offset=0, first=5) == ([], 0)
    saved = runner.create_template(shop, name="Welcome", kind="body",
                                   source="Hi {{ first_name }}")  # a warning only
    assert (saved.version, saved.kind) == (1, "body")
    with pytest.raises(Problem, match="a template is already called 'Welcome'"):
        runner.create_template(shop, name="Welcome", kind="body", source="x")
    with pytest.raises(Problem, match="kind: 'html' is not a template kind"):
        runner.create_template(shop, name="Other", kind="html", source="x")
    with pytest.raises(Problem, match="name: give 1-200 characters"):
        runner.create_template(shop, name=" ", kind="body", source="x")
    changed = runner.update_template(shop, saved.id or 0, name="Hello",
                                     source="Hi {{ first_name | default('there') }}")
    assert (changed.name, changed.version) == ("Hello", 2)
    assert runner.find_template(shop, "Hello").id == saved.id
    assert [t.name for t in runner.templates_page(shop, offset=0, first=5,
                                                  search="THERE")[0]] == ["Hello"]
    assert runner.find_template(shop, str(saved.id)).name == "Hello"
    with pytest.raises(Problem, match="no template has id 999"):
        runner.update_template(shop, 999, name="x")
    other = runner.create_template(shop, name="Other", kind="body", source="x")
    with pytest.raises(Problem, match="a template is already called 'Hello'"):
        runner.update_template(shop, other.id or 0, name="Hello")
    with pytest.raises(Problem, match="line 1, column 4: unexpected '}'"):
        runner.update_template(shop, other.id or 0, source="{{ }")
    runner.delete_template(shop, other.id or 0)
    with pytest.raises(Problem, match="no template has id"):
        runner.delete_template(shop, other.id or 0)


def test_rules_are_checked_when_saved(shop: Engine):
    with pytest.raises(Problem) as caught:
        runner.create_rule(shop, Rule(0, "x", "purchases >> 1", "offer", "v"))
    assert (caught.value.field, caught.value.column) == ("condition", 12)
    with pytest.raises(Problem, match="key: 'Offer!' is not a rule key"):
        runner.create_rule(shop, Rule(0, "x", "purchases > 1", "Offer!", "v"))
    with pytest.raises(Problem, match="value: 2001 characters"):
        runner.create_rule(shop, Rule(0, "x", "purchases > 1", "offer", "v" * 2001))
    with pytest.raises(Problem, match="priority: give -1000 to 1000"):
        runner.create_rule(shop, Rule(0, "x", "purchases > 1", "offer", "v", 5000))
    rows, total = runner.rules_page(shop, offset=0, first=2)
    assert total == 3 and [r.name for r in rows] == ["Big spenders", "Any buyer", "Morning"]
    rule = rows[0]
    changed = runner.update_rule(shop, rule.id or 0, enabled=False)
    assert changed.enabled is False and changed.condition == "purchases >= 3"
    assert runner.rules_page(shop, offset=0, first=10, enabled=False)[1] == 1
    assert runner.rules_page(shop, offset=0, first=10, key="greeting")[1] == 1
    with pytest.raises(Problem, match="no rule has id 999"):
        runner.update_rule(shop, 999, name="x")
    runner.delete_rule(shop, rule.id or 0)
    assert runner.get_rule(shop, rule.id or 0) is None
    with pytest.raises(Problem, match="no rule has id"):
        runner.delete_rule(shop, rule.id or 0)
    added = runner.install_example_rules(shop)
    assert len(added) == 10 and runner.install_example_rules(shop) == []


def test_preview_renders_for_very_different_customers_with_the_reasons(shop: Engine):
    ids = runner.contrasting_customers(shop)
    assert ids == ["u3", "u2", "u4"]
    source = ("{{ rules.greeting | default('Hello') }} {{ first_name | default('there') }}"
              ": {{ rules.offer | default('new arrivals') }}")
    messages, previews = runner.preview(shop, source=source, kind="subject",
                                        customer_ids=["u1", *ids], at=RENDER_AT)
    assert messages == []
    assert [(p.customer_id, p.rendered.text) for p in previews] == [
        ("u1", "Good morning Ana: Free shipping"), ("u3", "Hello Cy: 10% off"),
        ("u2", "Good morning Bo: new arrivals"), ("u4", "Hello there: new arrivals")]
    first = previews[0].outcome
    assert [(r.rule.name, r.fired, r.shadowed_by) for r in first.results if r.matched] == [
        ("Big spenders", True, None), ("Any buyer", False, first.results[0].rule.id),
        ("Morning", True, None)]
    assert first.results[0].explanation.reasons[0].values == {"purchases": 3}
    with pytest.raises(Problem, match="customerIds: no customer has id 'nobody'"):
        runner.preview(shop, source="x", kind="body", customer_ids=["nobody"])
    with pytest.raises(Problem, match="customerIds: give 1-10 customer ids"):
        runner.preview(shop, source="x", kind="body", customer_ids=[])


def test_a_campaigns_content_comes_from_its_linked_templates(shop: Engine):
    subject = runner.create_template(shop, name="S", kind="subject",
                                     source="{{ campaign.name }} for {{ first_name | "
                                            "default('you') }}")
    body = runner.create_template(shop, name="B", kind="body",
                                  source="<p>{{ rules.offer | default('') }}</p>")
    runner.link_campaign_template(shop, campaign_id="c1", kind="subject",
                                  template_id=subject.id)
    runner.link_campaign_template(shop, campaign_id="c1", kind="body", template_id=body.id)
    other = runner.create_template(shop, name="B2", kind="body", source="<p>other</p>")
    runner.link_campaign_template(shop, campaign_id="c1", kind="body", template_id=other.id)
    assert runner.personalized_content(shop, "u2", "c1").body.text == "<p>other</p>"
    runner.link_campaign_template(shop, campaign_id="c1", kind="body", template_id=body.id)
    with pytest.raises(Problem, match="template 'S' is a subject template, not a body one"):
        runner.link_campaign_template(shop, campaign_id="c1", kind="body",
                                      template_id=subject.id)
    with pytest.raises(Problem, match="campaignId: no campaign has id 'zz'"):
        runner.link_campaign_template(shop, campaign_id="zz", kind="body", template_id=None)
    with pytest.raises(Problem, match="templateId: no template has id 999"):
        runner.link_campaign_template(shop, campaign_id="c1", kind="body", template_id=999)
    with pytest.raises(Problem, match="campaigns c1 send this template"):
        runner.delete_template(shop, body.id or 0)
    content = runner.personalized_content(shop, "u1", "c1", at=RENDER_AT)
    assert (content.subject.text, content.body.text, content.cta) == (
        "Spring Sale for Ana", "<p>Free shipping</p>", None)
    assert sorted(content.templates) == ["body", "subject"]
    assert [r.rule.name for r in content.outcome.fired] == ["Big spenders", "Morning"]
    runner.link_campaign_template(shop, campaign_id="c1", kind="body", template_id=None)
    runner.link_campaign_template(shop, campaign_id="c1", kind="body", template_id=None)
    assert runner.personalized_content(shop, "u4", "c1").body is None
    with pytest.raises(Problem, match="campaignId: no campaign has id 'zz'"):
        runner.personalized_content(shop, "u1", "zz")


def test_scores_and_clv_tiers_reach_templates_and_rules(shop: Engine):
    assert runner.score_frame(shop).is_empty()
    publish_ltv_scores(shop, {"u1": 500.0, "u2": 20.0, "u3": 80.0})
    runner.create_rule(shop, Rule(0, "VIP", 'clv_tier == "high"', "offer", "VIP", priority=99))
    _, previews = runner.preview(
        shop, source="{{ scores.clv_tier | default('-') }} {{ scores.predicted_clv | "
                     "default('-') }} {{ rules.offer | default('-') }}",
        kind="body", customer_ids=["u1", "u2", "u4"], at=RENDER_AT)
    assert [p.rendered.text for p in previews] == [
        "high 500.0 VIP", "low 20.0 -", "- - -"]
    assert runner.token_gaps(shop)[1]["scores.predicted_clv"] == 0.25


def test_a_rule_is_stored_and_read_back_in_the_analytics_shape(shop: Engine):
    row = runner.create_rule(shop, Rule(77, "  Trimmed ", " purchases > 1 ", " offer ", "v",
                                        priority=-5, enabled=False))
    assert row.id != 77
    assert runner.rule_of(row) == Rule(row.id or 0, "Trimmed", "purchases > 1", "offer", "v",
                                       -5, False)
    changed = runner.update_rule(shop, row.id or 0, value="w", enabled=None)
    assert runner.rule_of(changed) == Rule(row.id or 0, "Trimmed", "purchases > 1", "offer",
                                           "w", -5, False)
