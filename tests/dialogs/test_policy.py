"""No input, no match, "повторите", "медленнее", the operator on request, the time limit."""

from __future__ import annotations

from datetime import timedelta

from dialogs.channel import Reply
from dialogs.options import DialogOptions
from dialogs.textchannel import ScriptedChannel
from tests.dialogs.demo_api import ACCOUNT, PHONE
from tests.dialogs.talk import THURSDAY_NIGHT, Clock, converse, options

NOISE = Reply.speech("[unk]")


async def test_silence_reprompts_in_other_words_then_offers_keys_then_operator(api):
    talk = await converse(api.backend, [
        ("Скажите, что вас интересует", ""),
        (("Я вас не слышу.", "Спросите, например: сколько я должна?"), ""),
        (("Я вас не слышу.", "Можно нажать кнопку на телефоне. Баланс — один."), ""),
    ], end=("Соединяю с оператором",), outcome="operator")
    [escalation] = await api.escalations()
    assert escalation["reason"] == "no_input"
    assert talk.channel.transferred


async def test_not_understood_then_keys_answer(api):
    await converse(api.backend, [
        ("Скажите, что вас интересует", NOISE),
        (("Извините, я не понял.", "Спросите, например"), NOISE),
        (("Извините, я не понял.", "Баланс — один. Показания — два."), "#4"),
        ("Офис какого города вам нужен?", None),
    ])


async def test_misses_add_up_over_the_call(api):
    await converse(api.backend, [
        ("что вас интересует", NOISE),
        ("не понял", "баланс"),
        ("оканчивается на", NOISE),
        ("не понял", "да"),
        ("Рассказать подробнее", ""),  # the third miss of the call, though the first of this question
    ], end="Соединяю с оператором", caller=PHONE, opts=options(call_misses=3), outcome="operator")
    [escalation] = await api.escalations()
    assert escalation["reason"] == "no_input"


async def test_repeat_says_the_figures_again(api):
    talk = await converse(api.backend, [
        ("что вас интересует", "баланс"),
        ("оканчивается на", "да"),
        (("Сейчас к оплате", "Рассказать подробнее"), "повторите"),
        (("Сейчас к оплате", "Рассказать подробнее"), "нет"),
        ("Чем ещё могу помочь", None),
    ], caller=PHONE)
    assert sum("Сейчас к оплате" in s for s in talk.channel.said) == 2


async def test_star_repeats_the_menu(api):
    await converse(api.backend, [
        ("Скажите, что вас интересует", "#*"),
        ("Скажите, что вас интересует", None),
    ])


async def test_slower_slows_the_voice_for_the_rest_of_the_call(api):
    talk = await converse(api.backend, [
        ("что вас интересует", "медленнее"),
        (("Хорошо, буду говорить медленнее.", "что вас интересует"), "офисы"),
        ("Офис какого города", None),
    ])
    assert talk.channel.slow


async def test_repeating_forever_is_not_possible(api):
    await converse(api.backend, [
        ("что вас интересует", "повторите"),
        ("что вас интересует", "повторите"),
        ("что вас интересует", "повторите"),
        ("что вас интересует", "повторите"),  # one more than allowed: counts as a miss
        ("Извините, я не понял.", None),
    ])


async def test_operator_by_voice_from_any_question_with_context_stored_first(api):
    stored_before_transfer = []

    class Checking(ScriptedChannel):
        async def transfer_to_operator(self) -> bool:
            stored_before_transfer.extend(await api.escalations())
            return await super().transfer_to_operator()

    channel = Checking(["баланс", "да", "оператор"], caller=PHONE)
    await converse(api.backend, [
        ("что вас интересует", "баланс"),
        ("оканчивается на", "да"),
        ("Рассказать подробнее", "оператор"),
    ], end="Соединяю с оператором. Пожалуйста, оставайтесь на линии.", outcome="operator", channel=channel)
    [escalation] = stored_before_transfer
    assert escalation["reason"] == "caller_request"
    assert (escalation["account"], escalation["verified"]) == (ACCOUNT, True)
    assert "баланс" in escalation["summary"]
    assert channel.events[-1] == "transfer"
    call = await api.call(channel.call_id)
    assert call["step"] == "operator" and call["outcome"] == "operator"
    assert ("caller", "оператор") in [(line["speaker"], line["text"]) for line in call["transcript"]]


async def test_zero_on_a_menu_is_the_operator(api):
    await converse(api.backend, [("что вас интересует", "#0")], end="Соединяю", outcome="operator")


async def test_caller_who_is_lost_gets_the_operator(api):
    await converse(api.backend, [("что вас интересует", "не понимаю")], end="Соединяю", outcome="operator")
    [escalation] = await api.escalations()
    assert escalation["reason"] == "caller_stuck"


async def test_operator_at_night_says_when_to_call_and_goes_on(api):
    await converse(api.backend, [
        ("что вас интересует", "оператор"),
        (("Операторы сейчас не работают.",
          "Они отвечают с понедельника по пятницу с восьми до двадцати; в субботу с девяти до пятнадцати.",
          "Позвоните, пожалуйста, завтра с восьми.", "Оставить заявку на обратный звонок?"), "нет не надо"),
        (("Хорошо.", "Я могу и сам помочь: назвать баланс", "Чем ещё могу помочь?"), "до свидания"),
    ], end="До свидания", outcome="completed", opts=options(Clock(THURSDAY_NIGHT)))
    assert await api.escalations() == []


async def test_operator_at_night_takes_a_callback_request_to_the_callers_own_number(api):
    await converse(api.backend, [
        ("что вас интересует", "мне бы с человеком поговорить"),
        (("Операторы сейчас не работают.", "Оставить заявку на обратный звонок?"), "да пожалуйста"),
        ("Перезвонить на номер, с которого вы звоните? Он оканчивается на ноль ноль один один.", "да"),
        (("Заявка принята. Оператор перезвонит вам завтра с восьми.", "Чем ещё могу помочь?"), "нет спасибо"),
    ], end="До свидания", outcome="callback", caller=PHONE, opts=options(Clock(THURSDAY_NIGHT)))
    [request] = await api.escalations()
    assert request["reason"] == "callback_request"
    assert "Перезвонить на номер 79001110011" in request["summary"]


async def test_callback_to_another_number_typed_on_the_keypad(api):
    await converse(api.backend, [
        ("что вас интересует", "оператора"),
        ("Оставить заявку на обратный звонок?", "#1"),
        ("номер для обратного звонка", "#89131234567#"),
        ("Номер восемь, девятьсот тринадцать, сто двадцать три, сорок пять, шестьдесят семь. Верно?", "#1"),
        ("Заявка принята.", None),
    ], opts=options(Clock(THURSDAY_NIGHT)))
    [request] = await api.escalations()
    assert "Перезвонить на номер 79131234567" in request["summary"]


async def test_saturday_evening_operators_next_answer_on_monday(api):
    saturday_evening = THURSDAY_NIGHT + timedelta(days=2, hours=-4)
    await converse(api.backend, [
        ("что вас интересует", "оператор"),
        ("Позвоните, пожалуйста, в понедельник с восьми.", None),
    ], opts=options(Clock(saturday_evening)))


async def test_silence_at_night_ends_the_call_politely(api):
    await converse(api.backend, [
        ("что вас интересует", ""),
        ("Я вас не слышу", ""),
        ("Я вас не слышу", ""),
    ], end=("Операторы сейчас не работают", "позвоните позже. До свидания!"), outcome="operator_closed",
       opts=options(Clock(THURSDAY_NIGHT)))


async def test_failed_transfer_is_said_and_the_call_ends(api):
    talk = await converse(api.backend, [("что вас интересует", "оператор")],
                          end=("Соединяю", "Не получилось соединить с оператором.", "позвоните позже"),
                          outcome="operator_failed", transfer_ok=False)
    assert talk.channel.hung_up


async def test_call_time_limit(api):
    clock = Clock(step=timedelta(0))

    class SlowCaller(ScriptedChannel):
        async def _next_reply(self, expect, dtmf):
            clock.now += timedelta(seconds=40)  # each answer takes the caller 40 seconds
            return await super()._next_reply(expect, dtmf)

    channel = SlowCaller(["офисы", "калтан"])
    talk = await converse(api.backend, [
        ("что вас интересует", "офисы"),
        ("Офис какого города", "калтан"),
    ], end="Время звонка истекло", outcome="time_limit", channel=channel,
       opts=DialogOptions(max_call_seconds=60, clock=clock))
    assert not talk.said("офис по адресу")
    assert talk.channel.hung_up
    assert (await api.call(channel.call_id))["outcome"] == "time_limit"


async def test_a_plea_with_an_answer_is_an_answer(api):
    await converse(api.backend, [
        ("что вас интересует", "помогите передать показания"),
        ("Назовите номер лицевого счёта", None),
    ])


async def test_closed_questions_tell_the_channel_when_an_answer_is_complete(api):
    """The phone ends the caller's utterance as soon as the words are a whole answer."""
    seen = []

    class Capturing(ScriptedChannel):
        async def ask(self, prompt, *, expect=None, dtmf=None, timeout=None, complete=None):
            seen.append(complete)
            return await super().ask(prompt, expect=expect, dtmf=dtmf, timeout=timeout, complete=complete)

    from dialogs import policy, prompts
    from dialogs.context import Call

    call = Call(Capturing(["да"]), api.backend, DialogOptions())
    question = prompts.account_readback("ноль ноль один сто одиннадцать ноль ноль один один тире семь")
    assert await policy.confirm(call, question) is True
    [complete] = seen
    assert complete("да") and complete("нет, не верно")
    assert not complete("подождите") and not complete("")
