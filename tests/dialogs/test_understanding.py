"""Callers in their own words: a table of realistic replies and what the robot must take from them.

Written as residents speak on the phone (many elderly): greetings and thanks around the request,
fillers («ну», «это самое», «дочка»), word forms and orders, self-corrections («ой нет»),
negations («оператора не надо»), questions asked straight away. Each row is what the
recogniser would print (lower case, numbers as words) and what the dialog must understand.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from dialogs import answers, lexicon, menu, prompts
from dialogs.channel import Reply
from dialogs.promotion import _interpret as promotion_interpret
from dialogs.understanding import corrected, understand

# --- the first question: «Скажите, что вас интересует» -------------------------------------------
MENU_FIRST = [
    ("баланс", "balance"),
    ("ну здравствуйте дочка спасибо я вот про квитанцию хотела спросить", "balance"),
    ("у меня ничего не понятно с квитанцией", "balance"),
    ("сколько я должна", "balance"),
    ("девушка скажите пожалуйста сколько мне платить за этот месяц", "balance"),
    ("какой у меня долг", "balance"),
    ("а задолженность у меня есть", "balance"),
    ("хочу узнать баланс по лицевому счёту", "balance"),
    ("мне сумму к оплате узнать", "balance"),
    ("я же заплатила а мне опять долг пишут", "balance"),
    ("сколько там набежало по квитанции", "balance"),
    ("сколько там у меня набежало", "balance"),
    ("а что у меня там накапало за квартиру", "balance"),
    ("много уже накопилось", "balance"),
    ("переплата у меня есть или нет", "balance"),
    ("мусор сколько стоит в этом месяце начислили", "balance"),
    ("показания", "readings"),
    ("я хочу передать показания счётчика", "readings"),
    ("показания воды передать", "readings"),
    ("это самое счётчики у меня", "readings"),
    ("хочу сдать показания по свету", "readings"),
    ("здравствуйте мне показания передать", "readings"),
    ("можно я вам показания скажу", "readings"),
    ("когда можно передавать показания", "readings_window"),
    ("до какого числа сдавать показания", "readings_window"),
    ("в какие дни принимают показания счётчиков", "readings_window"),
    ("акция", "promotion"),
    ("про акцию расскажите", "promotion"),
    ("что за розыгрыш у вас", "promotion"),
    ("хорошая привычка это что такое", "promotion"),
    ("какие призы в акции", "promo_prize"),
    ("а что можно выиграть", "promo_prize"),
    ("я участвую в акции", "promo_status"),
    ("участвую ли я в розыгрыше", "promo_status"),
    ("могу ли я участвовать", "promo_status"),
    ("где получить приз", "promo_collect"),
    ("куда приходить за подарком", "promo_collect"),
    ("кто может участвовать в акции", "promo_participants"),
    ("когда закончится акция", "promo_period"),
    ("сроки акции какие", "promo_period"),
    ("в каких городах проходит акция", "promo_territories"),
    ("когда будет розыгрыш", "promo_draw"),
    ("кто выиграл в акции", "promo_draw"),
    ("я выиграла или нет", "promo_winner"),
    ("а мы не выиграли случайно", "promo_winner"),
    ("если я не заберу приз что будет", "promo_unclaimed"),
    ("офисы", "offices"),
    ("где ваш офис", "offices"),
    ("где вы находитесь", "offices"),
    ("адрес офиса в калтане", "offices"),
    ("куда мне прийти с документами", "offices"),
    ("какие часы работы у офиса", "offices"),
    ("когда вы работаете", "offices"),
    ("мне бы адрес где принимают граждан в мысках", "offices"),
    ("как оплатить", "pay"),
    ("где можно заплатить за мусор", "pay"),
    ("каким способом можно оплатить", "pay"),
    ("можно оплатить картой", "pay"),
    ("а через сбербанк можно", "pay"),
    ("куда платить", "pay"),
    ("квитанция не пришла", "receipt"),
    ("мне квитанция не приходит второй месяц", "receipt"),
    ("у меня нет квитанции как оплатить", "receipt"),  # then how to pay: both are answered in turn
    ("как получать квитанцию на электронную почту", "receipt"),
    ("хочу отказаться от бумажной квитанции", "receipt"),
    ("потеряла квитанцию", "receipt"),
    ("что такое пени", "penalties"),
    ("почему мне пени начислили", "penalties"),
    ("откуда штраф в квитанции", "penalties"),
    ("у меня неправильно начислили", "recalculation"),
    ("почему так много насчитали", "recalculation"),
    ("мне нужен перерасчёт", "recalculation"),
    ("я не согласна с суммой в квитанции", "recalculation"),
    ("пересчитайте пожалуйста мы там не живём", "recalculation"),
    ("можно заплатить частями", "instalments"),
    ("рассрочку можно оформить", "instalments"),
    ("мне бы отсрочку по оплате", "instalments"),
    ("как зарегистрироваться в личном кабинете", "register"),
    ("личный кабинет", "register"),
    ("у меня нет интернета как зарегистрироваться", "register_offline"),
    ("я без компьютера как мне в кабинет попасть", "register_offline"),
    ("какой номер горячей линии", "hotline_number"),
    ("по какому телефону вам звонить", "hotline_number"),
    ("когда работают операторы", "operator_hours"),
    ("во сколько оператор отвечает", "operator_hours"),
    ("перезвоните мне", "callback"),
    ("кукуруза", None),
    ("алло алло", None),
    ("здравствуйте", None),
    ("спасибо", None),
    ("да", None),
    ("[unk]", None),
    ("", None),
]


@pytest.mark.parametrize(("text", "topic"), MENU_FIRST)
def test_first_question_takes_the_need_asked(text, topic):
    found = menu.topics_of(Reply.speech(text), prompts.MENU)
    assert (found[0] if found else None) == topic


# --- «Чем ещё могу помочь?»: politeness or «нет» after a finished task is a goodbye --------------
MENU_AFTER_TASK = [
    ("нет спасибо", "goodbye"),
    ("нет", "goodbye"),
    ("спасибо", "goodbye"),
    ("спасибо большое", "goodbye"),
    ("всё спасибо", "goodbye"),
    ("всё", "goodbye"),
    ("ничего не надо", "goodbye"),
    ("больше ничего", "goodbye"),
    ("не надо", "goodbye"),
    ("до свидания", "goodbye"),
    ("спасибо дочка до свидания", "goodbye"),
    ("всего доброго", "goodbye"),
    ("нет подождите ещё про акцию", "promotion"),
    ("нет спасибо а вот ещё где офис ваш", "offices"),
    ("да ещё показания передать", "readings"),
    ("спасибо а как оплатить", "pay"),
    ("нет нет ещё скажите сколько я должна", "balance"),
    ("до свидания ой нет подождите а пени это что", "penalties"),
    ("подробнее", "more"),
    ("да", "listening"),
    ("кукуруза", None),
]


@pytest.mark.parametrize(("text", "topic"), MENU_AFTER_TASK)
def test_anything_else_question_ends_only_on_a_real_goodbye(text, topic):
    found = menu.topics_of(Reply.speech(text), prompts.MENU_AGAIN, resting=True)
    assert (found[0] if found else None) == topic


def test_several_needs_in_one_breath_come_in_the_order_said():
    found = menu.topics_of(Reply.speech("сколько я должна и ещё показания передать"), prompts.MENU)
    assert found == ("balance", "readings")
    found = menu.topics_of(Reply.speech("где офис и как оплатить"), prompts.MENU)
    assert found == ("offices", "pay")


# --- more needs as callers put them (the money, the meters, the offices, the personal account) ----
MENU_OWN_WORDS = [
    ("алло девушка мне бы узнать за мусор сколько платить", "balance"),
    ("у меня долг есть или нет", "balance"),
    ("какая у меня задолженность за вывоз мусора", "balance"),
    ("скажите пожалуйста остаток по счёту", "balance"),
    ("я хочу знать сумму за декабрь", "balance"),
    ("мне пришла квитанция на большую сумму почему", "recalculation"),
    ("почему у меня такой большой долг", "balance"),
    ("мне насчитали за троих а живу одна", "recalculation"),
    ("я одна живу а платить за двоих", "recalculation"),
    ("хочу передать показания водомера", "readings"),
    ("счётчик на воду показания", "readings"),
    ("хочу подать показания электросчётчика", "readings"),
    ("мне надо сдать показания за свет", "readings"),
    ("показания счетчиков принимаете", "readings"),
    ("как у вас передать показания", "readings"),
    ("до какого числа можно подать показания", "readings_window"),
    ("а когда показания сдавать", "readings_window"),
    ("в каком офисе можно получить приз", "promo_collect"),
    ("как узнать выиграла я или нет", "promo_winner"),
    ("когда будут итоги акции", "promo_draw"),
    ("что нужно сделать чтобы участвовать в акции", "register"),
    ("как принять участие в розыгрыше", "register"),
    ("где вы находитесь в новокузнецке", "offices"),
    ("адрес вашего офиса в прокопьевске", "offices"),
    ("где можно оплатить квитанцию", "pay"),
    ("как можно оплатить без комиссии", "pay"),
    ("можно ли оплатить на почте", "pay"),
    ("квитанция потерялась", "receipt"),
    ("мне не пришла квитанция за ноябрь", "receipt"),
    ("хочу получать квитанцию по электронке", "receipt"),
    ("можно квитанцию на почту присылать", "receipt"),
    ("что за пени в квитанции", "penalties"),
    ("мне начислили пеню за что", "penalties"),
    ("пени откуда взялись", "penalties"),
    ("я не согласна с начислением", "recalculation"),
    ("сделайте перерасчёт пожалуйста", "recalculation"),
    ("у нас умер человек а начисляют на него", "recalculation"),
    ("можно оплатить долг в рассрочку", "instalments"),
    ("я не могу сразу всё оплатить", "instalments"),
    ("дайте телефон горячей линии", "hotline_number"),
    ("по какому номеру можно позвонить", "hotline_number"),
    ("зарегистрироваться в личном кабинете как", "register"),
    ("как войти в личный кабинет", "register"),
    ("я не умею пользоваться интернетом", "register_offline"),
    ("работаете ли вы в субботу", "offices"),
    ("какой у вас график работы", "offices"),
    ("во сколько открывается офис", "offices"),
    ("до скольки работает офис", "offices"),
]


@pytest.mark.parametrize(("text", "topic"), MENU_OWN_WORDS)
def test_needs_in_their_own_words(text, topic):
    found = menu.topics_of(Reply.speech(text), prompts.MENU)
    assert (found[0] if found else None) == topic


GOODBYES_AFTER_A_TASK = [
    "спасибо до свидания",
    "всё понятно спасибо",
    "понятно спасибо",
    "хорошо спасибо",
    "ладно спасибо большое",
    "нет больше ничего не надо",
    "нет всё спасибо до свидания",
    "да нет ничего",
    "ничего больше",
]


@pytest.mark.parametrize("text", GOODBYES_AFTER_A_TASK)
def test_thanks_and_done_after_a_task_is_a_goodbye(text):
    assert menu.topics_of(Reply.speech(text), prompts.MENU_AGAIN, resting=True) == ("goodbye",)


@pytest.mark.parametrize("text", [
    "оператора дайте", "мне нужен оператор", "хочу поговорить с оператором", "можно с человеком поговорить",
    "позовите живого человека", "соедините с бухгалтерией",
    "мне с вами не о чем говорить соедините с оператором",
])
def test_the_operator_in_more_words(text):
    assert understand(text).has(lexicon.OPERATOR)


# --- at any question: the operator and the other global commands ---------------------------------
GLOBAL = [
    ("оператор", lexicon.OPERATOR),
    ("оператора пожалуйста", lexicon.OPERATOR),
    ("соедините с оператором", lexicon.OPERATOR),
    ("соедините меня", lexicon.OPERATOR),
    ("дайте человека", lexicon.OPERATOR),
    ("мне бы с живым человеком поговорить", lexicon.OPERATOR),
    ("девушку позовите", lexicon.OPERATOR),
    ("соедините с девушкой", lexicon.OPERATOR),
    ("хочу со специалистом", lexicon.OPERATOR),
    ("позовите кого-нибудь", lexicon.OPERATOR),
    ("переключите на сотрудника", lexicon.OPERATOR),
    ("консультанта дайте", lexicon.OPERATOR),
    ("менеджера позовите", lexicon.OPERATOR),
    ("меню", lexicon.MENU),
    ("назад", lexicon.MENU),
    ("в начало", lexicon.MENU),
    ("давайте сначала", lexicon.MENU),
    ("вернуться в главное меню", lexicon.MENU),
    ("повторите", lexicon.REPEAT),
    ("повторите пожалуйста", lexicon.REPEAT),
    ("ещё раз скажите", lexicon.REPEAT),
    ("я не расслышала", lexicon.REPEAT),
    ("что вы сказали", lexicon.REPEAT),
    ("говорите громче", lexicon.REPEAT),
    ("медленнее", lexicon.SLOWER),
    ("говорите помедленнее пожалуйста", lexicon.SLOWER),
    ("не так быстро", lexicon.SLOWER),
    ("вы очень быстро говорите", lexicon.SLOWER),
    ("до свидания", lexicon.GOODBYE),
    ("всего хорошего", lexicon.GOODBYE),
    ("не знаю", lexicon.DONT_KNOW),
    ("не помню", lexicon.DONT_KNOW),
    ("забыла", lexicon.DONT_KNOW),
    ("ой я не знаю номер", lexicon.DONT_KNOW),
    ("квитанции нет под рукой", lexicon.DONT_KNOW),
    ("не могу найти", lexicon.DONT_KNOW),
    ("ничего не понимаю", lexicon.STUCK),
    ("помогите", lexicon.STUCK),
    ("я запуталась", lexicon.STUCK),
    ("перезвоните мне завтра", lexicon.CALLBACK),
    ("можно обратный звонок", lexicon.CALLBACK),
]


@pytest.mark.parametrize(("text", "intent"), GLOBAL)
def test_global_commands_in_any_words(text, intent):
    assert understand(text).has(intent)


@pytest.mark.parametrize("text", [
    "не надо оператора", "оператора не надо", "не нужен мне оператор", "не хочу оператора",
    "спасибо не надо человека",
])
def test_a_negated_operator_is_no_request(text):
    heard = understand(text)
    assert not heard.has(lexicon.OPERATOR)
    assert lexicon.OPERATOR in heard.negated


@pytest.mark.parametrize("text", [
    "девушка сколько я должна", "спасибо", "ничего не понятно с квитанцией", "нет",
    "у меня ничего нет", "спасибо вам", "я вас поняла",
])
def test_politeness_and_address_are_not_requests_to_leave_or_for_a_person(text):
    heard = understand(text)
    assert not heard.has(lexicon.OPERATOR)
    assert not heard.wants_to_leave


# --- yes / no ------------------------------------------------------------------------------------
YES_NO = [
    ("да", True), ("да да", True), ("ага", True), ("угу", True), ("верно", True), ("правильно", True),
    ("да верно", True), ("конечно", True), ("да конечно", True), ("давайте", True), ("хорошо", True),
    ("ну да", True), ("да пожалуйста", True), ("всё верно", True), ("так и есть", True),
    ("да правильно", True),
    ("нет", False), ("нет нет", False), ("неправильно", False), ("не верно", False), ("не так", False),
    ("нет спасибо", False), ("не надо", False), ("конечно нет", False), ("да ой нет", False),
    ("нет ой то есть да", True), ("не нужно", False), ("неа", False),
    ("так точно", True), ("ага верно", True), ("да да да", True), ("конечно да", True), ("вроде да", True),
    ("не-а", False), ("нет не так", False), ("не совсем", False), ("не то", False), ("ой нет", False),
    ("не знаю", None), ("кукуруза", None), ("[unk]", None),
]


@pytest.mark.parametrize(("text", "value"), YES_NO)
def test_yes_no(text, value):
    assert answers.yes_no(Reply.speech(text)) is value


# --- account numbers -----------------------------------------------------------------------------
ACCOUNTS = [
    ("ноль ноль один один один ноль ноль один один тире семь", "001110011-7"),
    ("ноль ноль один сто десять ноль одиннадцать тире семь", "001110011-7"),
    ("два нуля один один один ноль ноль один один дефис семь", "001110011-7"),
    ("миллион сто десять тысяч одиннадцать тире семь", "001110011-7"),
    ("номер ноль ноль один один один ноль ноль один один калтан", "001110011-7"),
    ("ну это ноль ноль один один один ноль ноль один один из калтана", "001110011-7"),
    ("ноль ноль два два два ноль ноль два два тире ноль", "002220022-0"),
    ("ноль ноль один один один ноль ноль один один", "001110011"),
    ("ноль ноль девять ой нет ноль ноль один один один ноль ноль один один тире семь", "001110011-7"),
    ("кукуруза", None),
]


@pytest.mark.parametrize(("text", "account"), ACCOUNTS)
def test_account_numbers_as_callers_say_them(text, account):
    assert answers.account(Reply.speech(text)) == account


# --- meter readings ------------------------------------------------------------------------------
READINGS = [
    ("шестьсот сорок пять", Decimal("645")),
    ("шестьсот сорок пять и семь", Decimal("645.7")),
    ("шестьсот сорок пять запятая семь", Decimal("645.7")),
    ("шестьсот сорок шесть ой нет шестьсот сорок пять", Decimal("645")),
    ("шестьсот сорок шесть нет шестьсот сорок пять", Decimal("645")),
    ("шестьсот сорок шесть то есть шестьсот сорок пять", Decimal("645")),
    ("ну это самое шестьсот сорок пять", Decimal("645")),
    ("шесть четыре пять", Decimal("645")),
    ("ноль ноль шестьсот сорок пять", Decimal("645")),
    ("сто двадцать три с половиной", Decimal("123.5")),
    ("две тысячи шестьсот тридцать три и шесть", Decimal("2633.6")),
    ("шестьсот сорок пять семь", None),  # two numbers glued: 6457 or 645,7? ask again
    ("пятьсот сорок кубов", Decimal("540")),
    ("показание пятьсот сорок пять и три", Decimal("545.3")),
    ("пять четыре пять точка три", Decimal("545.3")),
    ("там цифры пять четыре пять", Decimal("545")),
    ("пропустить", "skip"),
    ("дальше", "skip"),
    ("[unk]", None),
]


@pytest.mark.parametrize(("text", "value"), READINGS)
def test_meter_readings_never_glue_two_numbers(text, value):
    assert answers.reading(Reply.speech(text)) == value


# --- payment amounts (the ownership check) -------------------------------------------------------
AMOUNTS = [
    ("семьсот двадцать девять рублей пятьдесят одна копейка", Decimal("729.51")),
    ("семьсот двадцать девять пятьдесят одна", Decimal("729.51")),
    ("ну где-то семьсот двадцать девять рублей пятьдесят одна копейка", Decimal("729.51")),
    ("семьсот тридцать ой нет семьсот двадцать девять рублей пятьдесят одна копейка", Decimal("729.51")),
    ("тысяча рублей ровно", Decimal("1000.00")),
    ("не помню", None),
]


@pytest.mark.parametrize(("text", "value"), AMOUNTS)
def test_payment_amounts(text, value):
    assert answers.amount(Reply.speech(text)) == value


# --- towns ---------------------------------------------------------------------------------------
TOWNS = [
    ("калтан", 7), ("из калтана", 7), ("я в калтане живу", 7), ("мыски", 4), ("в мысках", 4),
    ("таштагол", 8), ("шерегеш", 9), ("новокузнецк", 0), ("прокопьевский район", 1),
    ("киселёвск", 2), ("красный брод", 3), ("междуреченск", 5), ("осинники", 6),
    ("прокопьевск ой нет калтан", 7), ("семь", 7), ("кукуруза", None),
]


@pytest.mark.parametrize(("text", "suffix"), TOWNS)
def test_towns_in_any_form(text, suffix):
    assert answers.territory(Reply.speech(text)) == suffix


# --- the promotion's own questions ---------------------------------------------------------------
PROMOTION = [
    ("кто участвует", "participants"),
    ("кто", "participants"),
    ("какой приз", "prize"),
    ("что дарят", "prize"),
    ("как участвовать", "registration"),
    ("как зарегистрироваться", "registration"),
    ("а я участвую", "status"),
    ("мой счёт участвует", "status"),
    ("сроки", "period"),
    ("когда закончится", "period"),
    ("территории", "territories"),
    ("какие города", "territories"),
    ("когда розыгрыш", "draw"),
    ("где получить приз", "collect"),
    ("куда за призом идти", "collect"),
    ("если не заберу", "unclaimed"),
    ("я выиграла", "winner"),
    ("подробнее", "more"),
    ("меню", "back"),
    ("нет спасибо", "back"),
    ("всё понятно", "back"),
    ("кукуруза", None),
]


@pytest.mark.parametrize(("text", "topic"), PROMOTION)
def test_promotion_questions(text, topic):
    assert promotion_interpret(prompts.PROMOTION_TOPIC.choices)(Reply.speech(text)) == topic


# --- self-corrections ----------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "counts"), [
    ("да ой нет", "нет"),
    ("баланс ой нет показания", "показания"),
    ("шестьсот сорок шесть ой нет шестьсот сорок пять", "шестьсот сорок пять"),
    ("калтан вернее осинники", "осинники"),
    ("у меня нет квитанции", "у меня нет квитанции"),
    ("нет подождите", "нет подождите"),
])
def test_only_what_follows_a_self_correction_counts(text, counts):
    assert corrected(text) == counts


def test_the_table_is_big_enough_to_mean_something():
    rows = (len(MENU_FIRST) + len(MENU_AFTER_TASK) + len(GLOBAL) + len(YES_NO) + len(ACCOUNTS) + len(READINGS)
            + len(AMOUNTS) + len(TOWNS) + len(PROMOTION) + len(MENU_OWN_WORDS) + len(GOODBYES_AFTER_A_TASK))
    assert rows >= 200


# --- what is understood can be heard -------------------------------------------------------------
# Closed questions run under a recogniser grammar; every phrasing above that the parsers accept for a
# question must be made of words in that question's grammar, or the recogniser could never print it.

def _grammar_words(question) -> set[str]:
    from dialogs.policy import grammar_for

    grammar = grammar_for(question)
    assert grammar is not None, "a closed question has a grammar"
    return {w for phrase in grammar for w in answers.normalise(phrase).split()}


def _as_heard(text: str, question) -> Reply:
    """What the recogniser prints under the question's grammar: words outside it become [unk]."""
    known = _grammar_words(question)
    return Reply.speech(" ".join(w if w in known else "[unk]" for w in answers.normalise(text).split()))


YES_NO_Q = prompts.yes_no("Верно?")
CLOSED = (YES_NO_Q, prompts.ACCOUNT, prompts.READING, prompts.LAST_PAYMENT, prompts.TERRITORY)
HEARABLE = (
    [(text, YES_NO_Q, answers.yes_no) for text, value in YES_NO if value is not None]
    + [(text, prompts.ACCOUNT, answers.account) for text, value in ACCOUNTS if value is not None]
    + [(text, prompts.READING, answers.reading) for text, value in READINGS if value is not None]
    + [(text, prompts.LAST_PAYMENT, answers.amount) for text, value in AMOUNTS if value is not None]
    + [(text, prompts.TERRITORY, answers.territory) for text, value in TOWNS if value is not None]
    + [(text, prompts.OFFICE_TERRITORY, answers.territory) for text, value in TOWNS if value is not None]
)


@pytest.mark.parametrize(("text", "question", "interpret"), HEARABLE)
def test_every_accepted_answer_means_the_same_as_heard_under_its_grammar(text, question, interpret):
    assert interpret(_as_heard(text, question)) == interpret(Reply.speech(text))


@pytest.mark.parametrize(("text", "intent"), GLOBAL)
def test_every_global_command_is_heard_under_every_closed_grammar(text, intent):
    for question in CLOSED:
        assert understand(_as_heard(text, question).text).has(intent), question.prompt


def test_open_questions_are_heard_in_free_mode():
    from dialogs.policy import grammar_for

    for question in (prompts.MENU, prompts.MENU_AGAIN, prompts.PROMOTION_TOPIC, prompts.PROMOTION_MORE):
        assert grammar_for(question) is None


def test_noise_under_a_grammar_is_never_a_value():
    assert answers.yes_no(Reply.speech("[unk]")) is None
    assert answers.reading(Reply.speech("[unk] [unk]")) is None
    assert answers.account(Reply.speech("[unk]")) is None
