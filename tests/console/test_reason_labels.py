"""The console's labels for escalation reasons and the dialogs' reasons are two tables across a package
boundary (api must not import dialogs); this keeps their keys in step."""

from api.console import texts
from dialogs import prompts


def test_every_reason_the_dialogs_send_has_a_console_label_and_no_other():
    assert set(texts.REASONS) == set(prompts.ESCALATION_REASONS)
