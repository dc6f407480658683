"""Whole calls as residents make them: in their own words, with politeness, corrections and detours.

Each test is one call through the text channel against the real account API over the demo data.
The caller's lines are what the recogniser would print; the robot's side is checked in order, and
so is how the call ended. Written from the seeds (the promotion regulation, the personal-account
manuals, the debt plan) and from how elderly callers speak on the phone.
"""

from __future__ import annotations

from datetime import datetime

from dialogs.channel import Reply
from dialogs.textchannel import ScriptedChannel
from tests.dialogs.demo_api import ACCOUNT, PHONE, SHARED_PHONE
from tests.dialogs.talk import THURSDAY_NIGHT, Clock, converse, options

NIGHT = options(Clock(THURSDAY_NIGHT))
OWN_ACCOUNT = "оканчивается на ноль ноль один один"
ANYTHING_ELSE = "Чем ещё могу помочь?"
OSINNIKI_OFFICE = "город Осинники, Зеленый переулок, 16"


# --- politeness, fillers and thanks never end the call ---------------------------------------------

async def test_granny_greets_thanks_and_asks_about_her_receipt(api):
    await converse(api.backend, [
        ("что вас интересует", "ну здравствуйте дочка спасибо я вот про квитанцию хотела спросить"),
        (OWN_ACCOUNT, "да да"),
        (("Сейчас к оплате", "Рассказать подробнее"), "нет спасибо"),
        (ANYTHING_ELSE, "спасибо дочка до свидания"),
    ], end="До свидания", outcome="completed", caller=PHONE)


async def test_nothing_understood_in_the_receipt_is_a_question_not_a_goodbye(api):
    await converse(api.backend, [
        ("что вас интересует", "у меня ничего не понятно с квитанцией"),
        (OWN_ACCOUNT, "ага"),
        (("Сейчас к оплате", "Рассказать подробнее"), "да"),
        (("Начислено", "Продолжить?"), "нет спасибо"),  # enough figures: no monologue forced on her
        (ANYTHING_ELSE, "всё спасибо"),
    ], end="До свидания", outcome="completed", caller=PHONE)


async def test_no_wait_about_the_promotion_goes_on_instead_of_hanging_up(api):
    await converse(api.backend, [
        ("что вас интересует", "сколько я должна"),
        (OWN_ACCOUNT, "да"),
        ("Рассказать подробнее", "нет"),
        (ANYTHING_ELSE, "нет подождите ещё про акцию"),
        (("Сейчас идёт акция", "Что рассказать об акции"), "хватит"),
        (ANYTHING_ELSE, "нет"),
    ], end="До свидания", outcome="completed", caller=PHONE)


async def test_hello_alone_is_asked_again_not_taken_for_a_goodbye(api):
    # «алло» is the caller checking the line: answered, and the question asked again.
    await converse(api.backend, [
        ("что вас интересует", "алло здравствуйте"),
        (("Да, я вас слышу.", "что вас интересует"), "спасибо"),
        ("не понял", "баланс"),
        (OWN_ACCOUNT, None),
    ], caller=PHONE)


async def test_hanging_up_after_hearing_the_balance_is_a_completed_call(api):
    await converse(api.backend, [
        ("что вас интересует", "баланс"),
        (OWN_ACCOUNT, "да"),
        ("Рассказать подробнее", "нет"),
        (ANYTHING_ELSE, None),
    ], outcome="completed", caller=PHONE)


async def test_hanging_up_in_the_middle_is_a_hangup(api):
    await converse(api.backend, [
        ("что вас интересует", "баланс"),
        (OWN_ACCOUNT, None),
    ], outcome="hangup", caller=PHONE)


# --- the operator in any words ----------------------------------------------------------------------

async def test_give_me_a_real_person(api):
    talk = await converse(api.backend, [
        ("что вас интересует", "мне бы с живым человеком поговорить"),
    ], end="Соединяю с оператором", outcome="operator", caller=PHONE)
    [escalation] = await api.escalations()
    assert escalation["reason"] == "caller_request"
    assert talk.channel.transferred


async def test_call_the_girl(api):
    await converse(api.backend, [("что вас интересует", "девушку позовите пожалуйста")],
                   end="Соединяю с оператором", outcome="operator")


async def test_operator_asked_for_in_the_middle_of_the_account_number(api):
    await converse(api.backend, [
        ("что вас интересует", "баланс"),
        ("номер лицевого счёта", "соедините со специалистом"),
    ], end="Соединяю с оператором", outcome="operator")


async def test_no_operator_thanks_just_the_balance(api):
    await converse(api.backend, [
        ("что вас интересует", "оператора не надо скажите баланс"),
        (OWN_ACCOUNT, "да"),
        ("Сейчас к оплате", None),
    ], caller=PHONE)
    assert await api.escalations() == []


# --- questions asked straight away get their answer --------------------------------------------------

async def test_what_prizes_are_there(api):
    talk = await converse(api.backend, [
        ("что вас интересует", "а какие призы в акции"),
        (("подарочный сертификат", ANYTHING_ELSE), "до свидания"),
    ], end="До свидания", outcome="completed")
    assert not talk.said("Что рассказать об акции")


async def test_am_i_taking_part(api):
    await converse(api.backend, [
        ("что вас интересует", "я участвую в акции"),
        (OWN_ACCOUNT, "да"),
        (("Ваш лицевой счёт участвует в акции.", ANYTHING_ELSE), "спасибо"),
    ], end="До свидания", outcome="completed", caller=PHONE)


async def test_where_to_collect_the_prize(api):
    talk = await converse(api.backend, [
        ("что вас интересует", "где получить приз"),
        # the rule, then only the office that serves the caller's territory, not all seven
        (("Приз вручают в офисе", "Офис какого города вам нужен?"), "мы в мысках живём"),
        (("Мыски и район: офис по адресу город Мыски", ANYTHING_ELSE), None),
    ])
    assert not talk.said("Что рассказать об акции")
    assert not talk.said("Металлургов")


async def test_where_to_collect_the_prize_for_a_caller_on_file(api):
    await converse(api.backend, [
        ("что вас интересует", "а приз где забрать"),
        (("Приз вручают в офисе", OSINNIKI_OFFICE, "Сегодня офис работает", ANYTHING_ELSE), None),
    ], caller=PHONE)


async def test_did_i_win(api):
    await converse(api.backend, [
        ("что вас интересует", "я выиграла или нет"),
        (("Победителю звонит сотрудник компании", "Рассказать подробнее?"), "да"),
        (("видеозапись розыгрыша", ANYTHING_ELSE), None),
    ])


async def test_when_can_readings_be_given_then_gives_them(api):
    await converse(api.backend, [
        ("что вас интересует", "когда можно передавать показания"),
        (("Показания счётчиков принимаются с пятнадцатого по двадцать пятое число каждого месяца.",
          "Передать сейчас?"), "да давайте"),
        (OWN_ACCOUNT, "да"),
        ("Назовите новое показание", "шестьсот сорок пять"),
        ("Показание шестьсот сорок пять кубометров, счётчик: холодная вода. Верно?", "да"),
        ("Показание принято", None),
    ], caller=PHONE)


async def test_where_is_your_office_for_a_caller_on_file(api):
    talk = await converse(api.backend, [
        ("что вас интересует", "где ваш офис"),
        ((OSINNIKI_OFFICE, "Сегодня офис работает", "Назвать офис другой территории?"), "нет"),
        (ANYTHING_ELSE, None),
    ], caller=PHONE)
    assert not talk.said("Офис какого города")


async def test_where_is_your_office_from_a_hidden_number(api):
    await converse(api.backend, [
        ("что вас интересует", "где вы находитесь"),
        ("Офис какого города вам нужен?", "я в калтане живу"),
        ((OSINNIKI_OFFICE, "Назвать офис другой территории?"), "нет спасибо"),
        (ANYTHING_ELSE, None),
    ])


async def test_two_needs_in_one_breath(api):
    await converse(api.backend, [
        ("что вас интересует", "сколько я должна и где ваш офис"),
        (OWN_ACCOUNT, "да"),
        ("Рассказать подробнее", "нет"),
        ((OSINNIKI_OFFICE, "Назвать офис другой территории?"), "нет"),
        (ANYTHING_ELSE, None),
    ], caller=PHONE)


async def test_another_question_in_the_middle_of_the_balance(api):
    await converse(api.backend, [
        ("что вас интересует", "баланс"),
        (OWN_ACCOUNT, "да"),
        ("Рассказать подробнее", "а где офис ваш"),
        ((OSINNIKI_OFFICE, "Назвать офис другой территории?"), "нет"),
        (ANYTHING_ELSE, None),
    ], caller=PHONE)


# --- the needs of these residents ----------------------------------------------------------------

async def test_how_to_pay(api):
    await converse(api.backend, [
        ("что вас интересует", "скажите где можно заплатить"),
        (("Оплатить можно", "Почты России", "Рассказать подробнее?"), "да"),
        (("скажите «баланс»", ANYTHING_ELSE), "баланс"),
        (OWN_ACCOUNT, None),
    ], caller=PHONE)


async def test_the_receipt_did_not_come(api):
    await converse(api.backend, [
        ("что вас интересует", "мне квитанция не приходит второй месяц"),
        (("на электронную почту", "Рассказать подробнее?"), "нет"),
        (ANYTHING_ELSE, None),
    ])


async def test_what_are_penalties(api):
    await converse(api.backend, [
        ("что вас интересует", "а пени это что такое"),
        (("Пени начисляются", "Рассказать подробнее?"), "не надо"),
        (ANYTHING_ELSE, None),
    ])


async def test_a_disputed_charge_goes_to_the_operator_with_that_reason(api):
    await converse(api.backend, [
        ("что вас интересует", "почему мне так много насчитали мы там не живём"),
    ], end=("Перерасчёт и спорные начисления проверяет оператор.", "Соединяю с оператором"),
       outcome="operator")
    [escalation] = await api.escalations()
    assert escalation["reason"] == "recalculation"


async def test_instalments_at_night_leave_a_callback_request(api):
    await converse(api.backend, [
        ("что вас интересует", "можно заплатить частями"),
        (("Оплату частями или отсрочку может обсудить с вами оператор.", "Операторы сейчас не работают.",
          "Оставить заявку на обратный звонок?"), "да"),
        ("Перезвонить на номер, с которого вы звоните?", "да"),
        (("Заявка принята. Оператор перезвонит вам завтра с восьми.", ANYTHING_ELSE), "нет спасибо"),
    ], end="До свидания", outcome="callback", caller=PHONE, opts=NIGHT)
    [request] = await api.escalations()
    assert request["reason"] == "callback_request"
    assert "рассрочку" in request["summary"]


async def test_registering_without_internet(api):
    await converse(api.backend, [
        ("что вас интересует", "у меня интернета нет как мне зарегистрироваться"),
        (("только через интернет", "можно узнать и передать мне по телефону",
          "Соединить вас с оператором, чтобы он помог?"), "нет"),
        (ANYTHING_ELSE, None),
    ])


async def test_registering_in_the_personal_account(api):
    await converse(api.backend, [
        ("что вас интересует", "как зарегистрироваться в личном кабинете"),
        (("на сайте кузро точка ру", "Рассказать подробнее?"), "да"),
        (("БРИС ЖКХ", "четыре часа", "несколько лицевых счетов", ANYTHING_ELSE), None),
    ])


async def test_the_hotline_number(api):
    await converse(api.backend, [
        ("что вас интересует", "какой у вас номер горячей линии"),
        (("восемь, восемьсот, пятьсот пятьдесят, пятьдесят два, сорок два", ANYTHING_ELSE), "до свидания"),
    ], end="До свидания", outcome="completed")


async def test_when_do_operators_answer(api):
    await converse(api.backend, [
        ("что вас интересует", "когда работают операторы"),
        (("Операторы отвечают с понедельника по пятницу", "Соединить вас с оператором?"), "нет"),
        (ANYTHING_ELSE, None),
    ])


async def test_call_me_back_please(api):
    await converse(api.backend, [
        ("что вас интересует", "перезвоните мне пожалуйста"),
        ("Перезвонить на номер, с которого вы звоните?", "нет"),
        ("номер для обратного звонка",
         "восемь девятьсот тринадцать сто двадцать три сорок пять шестьдесят семь"),
        ("Номер восемь, девятьсот тринадцать, сто двадцать три, сорок пять, шестьдесят семь. Верно?", "да"),
        (("Заявка принята.", ANYTHING_ELSE), "спасибо"),
    ], end="До свидания", outcome="callback", caller=PHONE)
    [request] = await api.escalations()
    assert "79131234567" in request["summary"]


# --- getting lost and finding the way back -------------------------------------------------------

async def test_menu_in_the_middle_of_the_readings(api):
    await converse(api.backend, [
        ("что вас интересует", "показания"),
        (OWN_ACCOUNT, "да"),
        ("Назовите новое показание", "ой нет давайте в начало"),
        ("начнём сначала", "баланс"),
        ("Сейчас к оплате", None),
    ], caller=PHONE)


async def test_back_with_a_new_need(api):
    await converse(api.backend, [
        ("что вас интересует", "показания"),
        (OWN_ACCOUNT, "да"),
        ("Назовите новое показание", "нет назад мне про акцию"),
        (("Сейчас идёт акция", "Что рассказать об акции"), "меню"),
        (ANYTHING_ELSE, None),
    ], caller=PHONE)


async def test_do_not_know_the_account_number(api):
    talk = await converse(api.backend, [
        ("что вас интересует", "баланс"),
        ("Назовите номер лицевого счёта", "ой я не знаю номер"),
        (("Номер лицевого счёта указан в квитанции", "номер лицевого счёта"), "не помню я"),
    ], end="Соединяю с оператором", outcome="operator")
    [escalation] = await api.escalations()
    assert escalation["reason"] == "dont_know_account"
    assert talk.said("девять цифр")


async def test_stuck_at_night_is_told_what_the_robot_can_do(api):
    await converse(api.backend, [
        ("что вас интересует", "ничего не понимаю"),
        (("Операторы сейчас не работают.", "Оставить заявку на обратный звонок?"), "нет"),
        (("Я могу и сам помочь", ANYTHING_ELSE), "баланс"),
        (OWN_ACCOUNT, "да"),
        ("Сейчас к оплате", None),
    ], caller=PHONE, opts=NIGHT)


async def test_slower_please(api):
    talk = await converse(api.backend, [
        ("что вас интересует", "ой говорите помедленнее пожалуйста"),
        (("буду говорить медленнее", "что вас интересует"), "баланс"),
        (OWN_ACCOUNT, None),
    ], caller=PHONE)
    assert talk.channel.slow


async def test_say_it_again(api):
    talk = await converse(api.backend, [
        ("что вас интересует", "баланс"),
        (OWN_ACCOUNT, "да"),
        (("Сейчас к оплате", "Рассказать подробнее"), "что вы сказали"),
        (("Сейчас к оплате", "Рассказать подробнее"), "нет"),
        (ANYTHING_ELSE, None),
    ], caller=PHONE)
    assert sum("Сейчас к оплате" in s for s in talk.channel.said) == 2


async def test_goodbye_in_the_middle_of_the_readings(api):
    await converse(api.backend, [
        ("что вас интересует", "передать показания"),
        (OWN_ACCOUNT, "да"),
        ("Назовите новое показание", "ладно потом до свидания"),
    ], end="До свидания", outcome="completed", caller=PHONE)


# --- numbers as callers say them --------------------------------------------------------------------

async def test_reading_corrected_mid_sentence_is_stored_once_as_corrected(api):
    talk = await converse(api.backend, [
        ("что вас интересует", "показания"),
        (OWN_ACCOUNT, "да"),
        ("Назовите новое показание", "шестьсот сорок шесть ой нет шестьсот сорок пять"),
        ("Показание шестьсот сорок пять кубометров, счётчик: холодная вода. Верно?", "да"),
        ("Показание принято", None),
    ], caller=PHONE)
    mine = await api.readings_of_call(ACCOUNT, talk.channel.call_id)
    assert [r["value"] for r in mine] == ["645"]


async def test_two_numbers_run_together_are_asked_again_not_glued(api):
    talk = await converse(api.backend, [
        ("что вас интересует", "показания"),
        (OWN_ACCOUNT, "да"),
        ("Назовите новое показание", "шестьсот сорок пять семь"),
        (("Извините, я не понял.", "Назовите цифры на счётчике"), "шестьсот сорок пять и семь"),
        ("Показание шестьсот сорок пять целых семь десятых", None),
    ], caller=PHONE)
    assert not talk.said("шесть тысяч")


async def test_readings_outside_the_window_are_refused_before_any_number(api):
    talk = await converse(api.backend, [
        ("что вас интересует", "хочу передать показания"),
        (("Показания принимаются с пятнадцатого по двадцать пятое число", ANYTHING_ELSE), None),
    ], caller=PHONE, opts=options(Clock(datetime(2025, 11, 5, 12, 0))))
    assert not talk.said("оканчивается на")


async def test_payment_amount_with_a_correction_passes_the_check(api):
    await converse(api.backend, [
        ("что вас интересует", "долг какой у меня"),
        ("Назовите номер лицевого счёта", "ноль ноль один один один ноль ноль один один тире семь"),
        ("Верно?", "да"),
        ("сумму последнего платежа",
         "семьсот тридцать ой нет семьсот двадцать девять рублей пятьдесят одна копейка"),
        (("Спасибо, всё верно.", "Сейчас к оплате"), None),
    ])


async def test_account_said_with_the_town_instead_of_the_suffix(api):
    await converse(api.backend, [
        ("что вас интересует", "баланс"),
        ("Назовите номер лицевого счёта", "ноль ноль один один один ноль ноль один один калтан"),
        ("тире семь. Верно?", "да"),
        ("сумму последнего платежа", None),
    ])


# --- keys ------------------------------------------------------------------------------------------

async def test_a_caller_who_uses_keys_hears_keys_first(api):
    await converse(api.backend, [
        ("что вас интересует", "#1"),
        ("Если да, нажмите один", "#1"),
        ("Если да, нажмите один. Если нет, нажмите два.", "#2"),
        ("Чем ещё могу помочь? Баланс — один.", "#9"),
    ], end="До свидания", outcome="completed", caller=PHONE)


async def test_without_a_speech_model_every_question_names_its_keys_at_once(api):
    channel = ScriptedChannel(["#4", "#7", "#2", "#9"], hears_speech=False)
    talk = await converse(api.backend, [
        ("Можно нажать кнопку на телефоне. Баланс — один.", "#4"),
        ("Нажмите цифру территории", "#7"),
        ((OSINNIKI_OFFICE, "Если нет, нажмите два."), "#2"),
        ("Чем ещё могу помочь? Баланс — один.", "#9"),
    ], end="До свидания", outcome="completed", channel=channel)
    assert not talk.said("Скажите, что вас интересует")


async def test_several_accounts_picked_in_other_words(api):
    await converse(api.backend, [
        ("что вас интересует", "баланс"),
        ("несколько лицевых счетов", "второго счёта"),
        ("Долга нет", None),
    ], caller=SHARED_PHONE)


async def test_noise_is_not_an_answer(api):
    await converse(api.backend, [
        ("что вас интересует", "баланс"),
        (OWN_ACCOUNT, Reply.speech("[unk] [unk]")),
        (("Извините, я не понял.", OWN_ACCOUNT), "да"),
        ("Сейчас к оплате", None),
    ], caller=PHONE)


# --- the line itself ---------------------------------------------------------------------------------

async def test_are_you_there_is_answered_without_counting_a_miss(api):
    talk = await converse(api.backend, [
        ("что вас интересует", "алло алло вы меня слышите"),
        (("Да, я вас слышу.", "что вас интересует"), "это робот что ли"),
        (("Я автоматический помощник", "Если нужен человек, скажите: оператор.", "что вас интересует"),
         "ну тогда баланс"),
        (OWN_ACCOUNT, None),
    ], caller=PHONE)
    assert not talk.said("Извините, я не понял.")


async def test_a_bare_hello_is_a_caller_checking_the_line(api):
    """«Алло?» alone — the first thing many callers say, and again when the robot pauses — is the
    caller checking the line, not a request the robot failed to understand."""
    talk = await converse(api.backend, [
        ("что вас интересует", "алло алло"),
        (("Да, я вас слышу.", "что вас интересует"), "алё это горводоканал"),
        (("Да, я вас слышу.", "что вас интересует"), "сколько платить"),
        (OWN_ACCOUNT, "алло"),
        (("Да, я вас слышу.", OWN_ACCOUNT), "алло да"),
        ("Сейчас к оплате", None),
    ], caller=PHONE)
    assert not talk.said("Извините, я не понял.")


async def test_the_account_said_with_the_request_is_not_asked_again(api):
    await converse(api.backend, [
        ("что вас интересует",
         "мой лицевой счёт ноль ноль один один один ноль ноль один один тире семь сколько я должна"),
        ("Лицевой счёт ноль ноль один, один один ноль, ноль один один, тире семь. Верно?", "да"),
        ("сумму последнего платежа", "семьсот двадцать девять рублей пятьдесят одна копейка"),
        (("Спасибо, всё верно.", "Сейчас к оплате"), None),
    ])
