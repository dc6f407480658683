"""The console's labels for escalation reasons and the dialogs' reasons are two tables across a package
boundary (api must not import dialogs); this keeps their keys in step."""

from api.console import texts
from dialogs import prompts


def test_every_reason_the_dialogs_send_has_a_console_label_and_no_other():
    assert set(texts.REASONS) == set(prompts.ESCALATION_REASONS)


def test_every_call_outcome_the_ivr_stores_has_a_console_label_and_a_figures_group():
    from api.console import figures, texts
    from dialogs.record import Outcome

    for outcome in Outcome:
        assert outcome.value in texts.OUTCOMES, outcome
        assert figures.OUTCOME_GROUP[outcome.value] in texts.OUTCOME_GROUPS, outcome
