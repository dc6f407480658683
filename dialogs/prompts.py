"""The prompt catalogue: every Russian sentence the robot speaks, and the words it listens for.

Why one file: the wording is tuned for elderly callers (short sentences, one
request at a time, the keypad always offered as a way out) and is reviewed by
people who do not read the dialog code. Each question carries its re-prompt in
other words, its keypad alternative and the grammar words the recogniser
listens for, so recognition and prompts stay in step. Money, dates and account
numbers are turned into words by `dialogs.spoken` (speech.numbers); this file
only places them in sentences. `static_texts()` lists every fixed sentence for
pre-rendering.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from speech.numbers import heard_words
from speech.russian import DIGIT_WORDS as DIGIT_NAMES  # "один" (DIGIT_WORDS here: the digits heard)
from speech.russian import MONTHS_GENITIVE, MONTHS_NOMINATIVE, plural  # the shared lexicon

# ---------------------------------------------------------------------------
# Building blocks


@dataclass(frozen=True)
class Choice:
    """One answer to a closed question: said with any of `words` (whole phrases or single
    words, also the recogniser's grammar) or pressed as `key`. `stems` catch other word
    forms when the recogniser runs without a grammar (big model, free speech)."""

    name: str
    key: str | None
    words: tuple[str, ...]
    stems: tuple[str, ...] = ()


@dataclass(frozen=True)
class Question:
    """A question and its fallbacks: `prompt` first, `reprompt` (other words) after the
    first miss, `keypad` (how to answer with keys) after the second."""

    prompt: str
    reprompt: str
    keypad: str
    grammar: tuple[str, ...] = ()
    choices: tuple[Choice, ...] = field(default=())
    # An open question ("what can I help with?") is heard in free mode: callers answer in their own words.
    open: bool = False

    def choice_words(self) -> tuple[str, ...]:
        return tuple(word for choice in self.choices for word in choice.words)


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# ---------------------------------------------------------------------------
# Keys and words understood at every question (the caller's own words: dialogs.lexicon)

# Letters a recogniser may print either way; answers are compared with the second.
SPELLING_VARIANTS = (("ё", "е"),)

REPEAT_KEY = "*"
OPERATOR_KEY = "0"

YES_WORDS = ("да", "верно", "правильно", "точно", "конечно", "ага", "угу", "хорошо", "давайте")
NO_WORDS = ("нет", "неверно", "неправильно", "не надо", "не нужно", "нет спасибо")
YES_KEY = "1"
NO_KEY = "2"
YES = Choice("yes", YES_KEY, YES_WORDS)
NO = Choice("no", NO_KEY, NO_WORDS, ("не верно", "не правильно", "не так"))
YES_NO_CHOICES = (YES, NO)

# What the recogniser listens for at closed questions: exactly the words the parsers of
# speech.numbers understand (so whatever they accept can be heard), plus the words of skipping.
DIGIT_WORDS = heard_words("digits")
NUMBER_WORDS = DIGIT_WORDS
TERRITORY_WORDS = heard_words("territory")
ACCOUNT_GRAMMAR = heard_words("account")
AMOUNT_GRAMMAR = heard_words("amount")
SKIP_WORDS = ("пропустить", "пропусти", "дальше", "следующий")
READING_GRAMMAR = heard_words("reading") + SKIP_WORDS
YES_NO_GRAMMAR = heard_words("yes_no")

# ---------------------------------------------------------------------------
# Greeting, menu, goodbye

GREETING = (
    "Здравствуйте! Вы позвонили на горячую линию компании ЭкоТек. "
    "Разговор может записываться."
)

# Keys of the main menu; by voice the caller names the need in any words (dialogs.understanding).
MENU_CHOICES = (
    Choice("balance", "1", ("баланс",)),
    Choice("readings", "2", ("показания",)),
    Choice("promotion", "3", ("акция",)),
    Choice("offices", "4", ("офисы",)),
    Choice("goodbye", "9", ("до свидания",)),
)

MENU = Question(
    prompt=(
        "Скажите, что вас интересует. Можно своими словами, например: баланс, показания счётчиков, "
        "акция или адрес офиса."
    ),
    reprompt=(
        "Спросите, например: сколько я должна? Или: хочу передать показания. "
        "Если нужен человек, скажите: оператор."
    ),
    keypad=(
        "Можно нажать кнопку на телефоне. Баланс — один. Показания — два. Акция — три. "
        "Офисы — четыре. Оператор — ноль."
    ),
    choices=MENU_CHOICES,
    open=True,
)

MENU_AGAIN = Question(
    prompt="Чем ещё могу помочь? Спросите своими словами. Или скажите: до свидания.",
    reprompt=(
        "Если больше ничего не нужно, скажите: до свидания. "
        "Или спросите: баланс, показания, акция, офисы."
    ),
    keypad=(
        "Чем ещё могу помочь? Баланс — один. Показания — два. Акция — три. Офисы — четыре. "
        "Оператор — ноль. Закончить разговор — девять."
    ),
    choices=MENU_CHOICES,
    open=True,
)

# «подробнее» at the menu: the needs not named in the menu's one breath.
MENU_MORE = (
    "Ещё я могу рассказать, как и где оплатить, как получать квитанцию на почту, что такое пени, "
    "и назвать номер горячей линии."
)
BACK_TO_MENU = "Хорошо, начнём сначала."
LISTENING = "Слушаю вас."
I_HEAR_YOU = "Да, я вас слышу."
I_AM_A_ROBOT = (
    "Я автоматический помощник горячей линии. Могу назвать баланс, принять показания, рассказать об акции "
    "и офисах. Если нужен человек, скажите: оператор."
)

GOODBYE = "Спасибо за звонок. До свидания!"
SLOWER_OK = "Хорошо, буду говорить медленнее."
NOT_HEARD = "Я вас не слышу."
NOT_UNDERSTOOD = "Извините, я не понял."
TIME_LIMIT = "Время звонка истекло. Пожалуйста, позвоните нам ещё раз. До свидания!"
SERVICE_DOWN = "Извините, сервис сейчас не отвечает."
# Said only when this call's confirmed readings really are kept on the robot's side (ivr.outbox).
SERVICE_DOWN_READINGS_KEPT = (
    "Извините, сервис сейчас не отвечает. Показания, которые вы подтвердили, сохранены "
    "и будут переданы, как только он заработает."
)
CALL_LATER = "Пожалуйста, позвоните позже. До свидания!"
# Every line taken (the IVR's cap on calls at once): said instead of the greeting, then hang-up.
LINES_BUSY = (
    "Здравствуйте! Сейчас все линии заняты. Пожалуйста, перезвоните через несколько минут. До свидания!"
)
# The robot that held this call failed mid-call; another one took the call and starts over.
CALL_RESUMED = "Извините, связь прервалась. Начнём разговор сначала."
# The robot is being restarted while the caller talks to it.
SHUTTING_DOWN = (
    "Извините, сейчас робот перезапускается, и звонок придётся прервать. "
    "Пожалуйста, позвоните ещё раз через минуту. До свидания!"
)

# ---------------------------------------------------------------------------
# Yes / no


def yes_no(prompt: str) -> Question:
    """A yes/no question; the keypad alternative is the same for all of them."""
    return Question(
        prompt=f"{prompt} Скажите да или нет.",
        reprompt=f"{prompt} Ответьте, пожалуйста: да или нет.",
        keypad=f"{prompt} Если да, нажмите один. Если нет, нажмите два.",
        grammar=YES_NO_GRAMMAR,
        choices=YES_NO_CHOICES,
    )


# ---------------------------------------------------------------------------
# Identify

ACCOUNT = Question(
    prompt=(
        "Назовите номер лицевого счёта. Это девять цифр и цифра территории через тире. "
        "Можно набрать его на телефоне и нажать решётку."
    ),
    reprompt=(
        "Номер лицевого счёта есть в квитанции. Назовите его по цифрам, например: "
        "ноль ноль один, один один ноль, ноль один один, тире семь."
    ),
    keypad=(
        "Наберите номер лицевого счёта на телефоне: девять цифр и цифру территории. "
        "В конце нажмите решётку. Звёздочка стирает набранное."
    ),
    grammar=ACCOUNT_GRAMMAR,
)

TERRITORY = Question(
    prompt="Назовите ваш город или район. Или нажмите цифру после тире в номере лицевого счёта.",
    reprompt="Например, скажите: Новокузнецк, Прокопьевск или Калтан.",
    keypad="Нажмите цифру после тире в номере лицевого счёта: одну цифру, это ваша территория.",
    grammar=TERRITORY_WORDS + DIGIT_WORDS,
)

ACCOUNT_AGAIN = "Хорошо. Назовите номер ещё раз."
ACCOUNT_WHERE = (
    "Номер лицевого счёта указан в квитанции: девять цифр, а после тире — цифра вашей территории. "
    "Если квитанция рядом, назовите номер. Если нет, скажите: оператор."
)
ACCOUNT_GIVE_UP = "Мне не удаётся найти ваш лицевой счёт."


def phone_one_account(ending: str) -> Question:
    return yes_no(f"Вы звоните по лицевому счёту, который оканчивается на {ending}?")


PHONE_SEVERAL = "По вашему номеру телефона найдено несколько лицевых счетов."
# the n-th account on file: its ordinal, and its key said as a digit («один»: speech.russian)
ORDINALS = tuple(zip(("первый", "второй", "третий", "четвёртый", "пятый"), DIGIT_NAMES[1:6], strict=True))
OTHER_ACCOUNT = Choice("other", "9", ("другой", "другой счёт", "нет"), ("друг",))


def pick_account(endings: Sequence[str]) -> Question:
    """Let the caller pick one of the accounts on file for their phone (at most five)."""
    parts = [
        f"Счёт на {ending} — скажите «{ORDINALS[i][0]}» или нажмите {ORDINALS[i][1]}."
        for i, ending in enumerate(endings)
    ]
    choices = tuple(
        Choice(str(i), str(i + 1), (ORDINALS[i][0], ORDINALS[i][1]), (ORDINALS[i][0][:-2],))
        for i in range(len(endings))
    )
    prompt = " ".join(parts) + " Другой счёт — скажите «другой» или нажмите девять."
    return Question(
        prompt=prompt,
        reprompt="Какой лицевой счёт вам нужен? " + prompt,
        keypad=" ".join(f"Счёт на {e} — нажмите {ORDINALS[i][1]}." for i, e in enumerate(endings))
        + " Другой счёт — девять.",
        choices=choices + (OTHER_ACCOUNT,),
    )


def account_readback(spoken: str) -> Question:
    return yes_no(f"Лицевой счёт {spoken}. Верно?")


def account_unknown(spoken: str) -> str:
    return f"Лицевой счёт {spoken} не найден. Проверьте номер по квитанции."


# ---------------------------------------------------------------------------
# Verify

VERIFY_INTRO = "Чтобы защитить ваши данные, мне нужно убедиться, что вы владелец счёта."
LAST_PAYMENT = Question(
    prompt="Назовите сумму последнего платежа по этому счёту, в рублях и копейках.",
    reprompt=(
        "Сумма последнего платежа есть в чеке или в приложении банка. "
        "Например: семьсот двадцать девять рублей пятьдесят одна копейка."
    ),
    keypad=(
        "Наберите на телефоне сумму последнего платежа: рубли, потом звёздочка, потом копейки. "
        "В конце нажмите решётку."
    ),
    grammar=AMOUNT_GRAMMAR,
)
VERIFY_OK = "Спасибо, всё верно."
VERIFY_LOCKED = "Проверка по этому счёту временно закрыта из-за неверных ответов."
VERIFY_DONT_KNOW = "Понимаю. Тогда вам поможет оператор."


def verify_wrong(attempts_left: int, spoken_count: str) -> str:
    word = plural(attempts_left, "попытка", "попытки", "попыток")
    left = plural(attempts_left, "Осталась", "Осталось", "Осталось")
    return f"Сумма не совпала. {left} {spoken_count} {word}."


# ---------------------------------------------------------------------------
# Balance


def balance_debt(money: str, month: int) -> str:
    return f"Ваш долг на конец {MONTHS_GENITIVE[month - 1]}: {money}."


def balance_overpaid(money: str, month: int) -> str:
    return f"Долга нет. На конец {MONTHS_GENITIVE[month - 1]} у вас переплата: {money}."


def balance_zero(month: int) -> str:
    return f"Долга нет. На конец {MONTHS_GENITIVE[month - 1]} всё оплачено."


def balance_due_now(due: str, month: int, closing: str, paid_since: str) -> list[str]:
    """What remains to pay today first, then where it comes from (a caller who paid after the
    month's end must not hear the old debt as if nothing had come in)."""
    return [
        f"Сейчас к оплате: {due}.",
        f"На конец {MONTHS_GENITIVE[month - 1]} долг был {closing}, "
        f"после этого поступила оплата: {paid_since}.",
    ]


def balance_paid_off(month: int, paid_since: str) -> str:
    return f"Долга нет: после конца {MONTHS_GENITIVE[month - 1]} поступила оплата {paid_since}, долг погашен."


def balance_overpaid_now(overpaid: str, month: int) -> str:
    return f"Долга нет. С учётом оплаты после конца {MONTHS_GENITIVE[month - 1]} у вас переплата: {overpaid}."


BALANCE_DETAILS = yes_no("Рассказать подробнее о начислениях и последнем платеже?")


def balance_month(month: int, opening: str, opening_is_debt: bool, charged: str, paid: str) -> str:
    start = "долг" if opening_is_debt else "переплата"
    return (
        f"За {MONTHS_NOMINATIVE[month - 1]}. На начало месяца {start}: {opening}. "
        f"Начислено: {charged}. Оплачено: {paid}."
    )


def balance_recalculation(money: str, negative: bool) -> str:
    return f"Перерасчёт в вашу пользу: {money}." if negative else f"Доначислено по перерасчёту: {money}."


def balance_penalties(money: str) -> str:
    return f"Пени: {money}."


BALANCE_LINES = "По услугам."


def balance_line(service_name: str, money: str) -> str:
    return f"{service_name[:1].upper()}{service_name[1:]}: {money}."


def last_payment(money: str, spoken_date: str) -> str:
    return f"Последний платёж: {money}. Он поступил {spoken_date}."


NO_PAYMENTS = "Платежей по этому счёту пока нет."

# ---------------------------------------------------------------------------
# Meter readings

NO_METERS = "По вашему счёту нет счётчиков. Показания передавать не нужно."


def meters_count(count: int, spoken_count: str) -> str:
    word = plural(count, "счётчик", "счётчика", "счётчиков")
    return f"По вашему счёту {spoken_count} {word}. Будем передавать показания по очереди."


def meter_intro(service_name: str, previous: str | None, spoken_date: str | None) -> str:
    text = f"Счётчик: {service_name}."
    if previous is not None:
        text += f" Прошлое показание: {previous}"
        text += f", от {spoken_date}." if spoken_date else "."
    return text


READING = Question(
    prompt=(
        "Назовите новое показание. Или наберите его на телефоне: звёздочка — запятая, "
        "решётка — конец. Чтобы пропустить счётчик, скажите: пропустить."
    ),
    reprompt="Назовите цифры на счётчике, например: сто двадцать четыре и пять.",
    keypad="Наберите новое показание на телефоне. Звёздочка — запятая. В конце нажмите решётку.",
    grammar=READING_GRAMMAR,
)


# The next meters of the same call: the caller has just heard how to answer.
READING_NEXT = Question(
    prompt="Назовите показание этого счётчика. Или скажите: пропустить.",
    reprompt=READING.reprompt,
    keypad=READING.keypad,
    grammar=READING_GRAMMAR,
)


def reading_readback(spoken_value: str, service_name: str) -> Question:
    return yes_no(f"Показание {spoken_value}, счётчик: {service_name}. Верно?")


# The account service did not answer, but the confirmed reading is kept on disk and sent later.
READING_KEPT = "Показание записано. Сервис сейчас не отвечает: мы передадим его, как только он заработает."


def reading_stored(spoken_consumption: str | None) -> str:
    if spoken_consumption is None:
        return "Показание принято. Спасибо!"
    return f"Показание принято. Расход с прошлого показания: {spoken_consumption}. Спасибо!"


READING_SAY_AGAIN = "Хорошо. Назовите показание ещё раз."
READING_SKIPPED = "Хорошо, этот счётчик пропускаем."
READING_ALREADY = "Показание по этому счётчику в этом звонке уже принято."
READING_DUPLICATE = "Это показание уже принято. Второй раз оно не записывается."
READING_INVALID = "Такое показание записать нельзя. Проверьте цифры на счётчике."
READINGS_DONE = "Все счётчики пройдены."
READINGS_ALL_STORED = "Показания по всем счётчикам в этом звонке уже приняты."


def reading_below_previous(previous: str) -> str:
    return (
        f"Это показание меньше прошлого: {previous}. Так быть не может. "
        "Проверьте цифры на счётчике и назовите их ещё раз."
    )


def reading_implausible(max_expected: str | None) -> str:
    limit = f" Наибольшее ожидаемое показание: {max_expected}." if max_expected else ""
    return (
        f"Получается слишком большой расход.{limit} Проверьте цифры. "
        "Если всё верно, передайте показание через оператора."
    )


def reading_outside_window(start: str | None, end: str | None) -> str:
    if start and end:
        return (
            f"Показания принимаются с {start} по {end} число каждого месяца. "
            "Пожалуйста, позвоните в эти дни."
        )
    return "Сейчас показания не принимаются. Пожалуйста, позвоните в дни приёма показаний."


def reading_verification_overdue(spoken_date: str | None) -> str:
    when = f" {spoken_date}" if spoken_date else ""
    return (
        f"Срок поверки этого счётчика истёк{when}. Показания по нему не принимаются. "
        "Закажите поверку, а после неё передайте показания."
    )


# ---------------------------------------------------------------------------
# Promotion

PROMOTION_NONE = "Сейчас акций нет."


def promotion_intro(name: str, start: str, end: str) -> str:
    return f"Сейчас идёт акция «{name}». Она проходит с {start} по {end}."


# Keys of the promotion's topics; by voice the caller asks in any words (dialogs.understanding).
# The first four are offered in one breath, the rest after «подробнее».
PROMOTION_TOPIC_CHOICES = (
    Choice("participants", "1", ("кто участвует",)),
    Choice("prize", "2", ("приз",)),
    Choice("registration", "3", ("как участвовать",)),
    Choice("status", "4", ("участвую ли я",)),
    Choice("more", "5", ("подробнее",)),
    Choice("period", "6", ("сроки",)),
    Choice("territories", "7", ("территории",)),
    Choice("draw", "8", ("розыгрыш",)),
    Choice("collect", "9", ("где получить приз",)),
    Choice("back", "#", ("меню",)),
)

PROMOTION_TOPIC = Question(
    prompt=(
        "Что рассказать об акции: кто участвует, какой приз, как участвовать, или участвуете ли вы? "
        "Другие темы — скажите: подробнее."
    ),
    reprompt="Спросите, например: какой приз? Или: я участвую? Чтобы вернуться в меню, скажите: меню.",
    keypad=(
        "Что рассказать об акции? Кто участвует — один. Приз — два. Как участвовать — три. "
        "Участвую ли я — четыре. Другие темы — пять. Вернуться в меню — решётка."
    ),
    choices=PROMOTION_TOPIC_CHOICES,
    open=True,
)

PROMOTION_MORE = Question(
    prompt="Что ещё рассказать об акции? Или скажите: меню.",
    reprompt=PROMOTION_TOPIC.prompt + " Чтобы вернуться в меню, скажите: меню.",
    keypad=PROMOTION_TOPIC.keypad,
    choices=PROMOTION_TOPIC_CHOICES,
    open=True,
)

PROMOTION_OTHER_TOPICS = Question(
    prompt=(
        "Ещё могу рассказать: сроки акции, территории, как проходит розыгрыш, где получить приз. "
        "Что вас интересует?"
    ),
    reprompt="Спросите, например: где получить приз? Или: когда розыгрыш? Или скажите: меню.",
    keypad=(
        "Сроки — шесть. Территории — семь. Розыгрыш — восемь. Где получить приз — девять. "
        "Вернуться в меню — решётка."
    ),
    choices=PROMOTION_TOPIC_CHOICES,
    open=True,
)

PROMOTION_TOPIC_MISSING = "Об этом лучше спросить оператора."
PROMOTION_PARTICIPATING = "Ваш лицевой счёт участвует в акции. Желаем удачи в розыгрыше!"
PROMOTION_NOT_PARTICIPATING = "Ваш лицевой счёт пока не участвует в акции."
PROMOTION_HOW_TO_JOIN = (
    "Чтобы участвовать, зарегистрируйтесь в личном кабинете на сайте кузро точка ру "
    "за время акции."
)
# A personal account opened before the promotion cannot take part by registering again.
PROMOTION_REGISTERED_BEFORE = (
    "По правилам акции участвуют счета, зарегистрированные в личном кабинете за время акции."
)
# The API's reason codes (GET /accounts/{a}/promotion); codes that are not a problem are not said.
PROMOTION_REASONS = {
    "territory_not_included": "Ваша территория не участвует в акции.",
    "not_registered": "Счёт не зарегистрирован в личном кабинете.",
    "registered_before_promotion": "Счёт зарегистрирован в личном кабинете ещё до начала акции.",
    "registered_after_promotion": "Счёт зарегистрирован в личном кабинете уже после окончания акции.",
}

# ---------------------------------------------------------------------------
# Offices

OFFICE_TERRITORY = Question(
    prompt="Офис какого города вам нужен? Назовите город или район.",
    reprompt="Например, скажите: Новокузнецк, Мыски или Таштагол.",
    keypad="Офис какого города вам нужен? Нажмите цифру территории: ту, что после тире в номере счёта.",
    grammar=TERRITORY_WORDS + DIGIT_WORDS,
)


def office(territory: str, address: str) -> str:
    """ "Калтан и район: офис по адресу город Осинники, …" — the territory as the regulation names it,
    so no case agreement is needed; `address` already has its abbreviations written out."""
    return f"{territory}: офис по адресу {address}."


def office_hours(spoken_hours: str) -> str:
    return f"Часы приёма: {spoken_hours}."


def office_today(spoken_span: str | None) -> str:
    return f"Сегодня офис работает {spoken_span}." if spoken_span else "Сегодня офис не работает."


OFFICE_UNKNOWN = "Для этой территории офис не указан. Уточните у оператора."
OFFICE_ANOTHER = yes_no("Назвать офис другой территории?")

# ---------------------------------------------------------------------------
# Hours (offices and operators): structured hours → words

DAY_CODES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAYS_NOMINATIVE = ("понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье")
DAYS_GENITIVE = ("понедельника", "вторника", "среды", "четверга", "пятницы", "субботы", "воскресенья")
DAYS_ACCUSATIVE = ("понедельник", "вторник", "среду", "четверг", "пятницу", "субботу", "воскресенье")
DAYS_ON = ("в понедельник", "во вторник", "в среду", "в четверг", "в пятницу", "в субботу", "в воскресенье")


def say_days(indices: Sequence[int]) -> str:
    """[0..4] → "с понедельника по пятницу"; [0, 1, 3, 4] → "понедельник, вторник, четверг и пятница"."""
    days = sorted(indices)
    if len(days) >= 3 and days == list(range(days[0], days[-1] + 1)):
        return f"с {DAYS_GENITIVE[days[0]]} по {DAYS_ACCUSATIVE[days[-1]]}"
    if len(days) == 1:
        return DAYS_ON[days[0]]
    names = [DAYS_NOMINATIVE[d] for d in days]
    return ", ".join(names[:-1]) + " и " + names[-1]


def hours_span(
    open_words: str, close_words: str, break_words: tuple[str, str] | None, *, mention_no_break: bool
) -> str:
    text = f"с {open_words} до {close_words}"
    if break_words:
        text += f", перерыв с {break_words[0]} до {break_words[1]}"
    elif mention_no_break:
        text += ", без перерыва"
    return text


def join_hours(parts: Iterable[str]) -> str:
    return "; ".join(parts)


# ---------------------------------------------------------------------------
# Other needs: answers from the reference facts (dialogs/facts.toml), offers after them

FACT_MORE = yes_no("Рассказать подробнее?")
CONTINUE = yes_no("Продолжить?")
REGISTER_HELP = yes_no("Соединить вас с оператором, чтобы он помог?")


def readings_window(start: str, end: str) -> str:
    """`start` genitive, `end` accusative ordinal days: «с пятнадцатого по двадцать пятое»."""
    return f"Показания счётчиков принимаются с {start} по {end} число каждого месяца."


READINGS_OPEN_NOW = yes_no("Сегодня показания можно передать мне. Передать сейчас?")


def operators_hours(spoken_hours: str) -> str:
    return f"Операторы отвечают {spoken_hours}."


def to_operator_because(fact: str) -> str:
    return f"{fact} Соединяю с оператором."


# ---------------------------------------------------------------------------
# Callback requests (operators closed, or the caller asks to be called back)

CALLBACK_OFFER = yes_no("Оставить заявку на обратный звонок? Оператор перезвонит вам в рабочее время.")


def callback_own_number(ending: str) -> Question:
    return yes_no(f"Перезвонить на номер, с которого вы звоните? Он оканчивается на {ending}.")


CALLBACK_NUMBER = Question(
    prompt="Наберите на телефоне номер для обратного звонка, все одиннадцать цифр, и нажмите решётку.",
    reprompt="Назовите номер телефона по цифрам, начиная с восьми. Или наберите его на телефоне.",
    keypad="Наберите номер для обратного звонка: восемь и ещё десять цифр. В конце нажмите решётку.",
    grammar=NUMBER_WORDS,
)


def callback_readback(spoken: str) -> Question:
    return yes_no(f"Номер {spoken}. Верно?")


def callback_stored(when: str) -> str:
    return f"Заявка принята. Оператор перезвонит вам {when}."


CALLBACK_DAYTIME = "в рабочее время"
CALLBACK_NOT_STORED = "Не получилось записать заявку. Пожалуйста, позвоните нам в рабочее время операторов."
CALLBACK_NUMBER_GIVE_UP = "Не получилось записать номер."
WHAT_ROBOT_CAN = (
    "Я могу и сам помочь: назвать баланс, принять показания счётчиков, рассказать об акции и офисах."
)


# ---------------------------------------------------------------------------
# Operator

OPERATOR_CONNECTING = "Соединяю с оператором. Пожалуйста, оставайтесь на линии."
OPERATOR_FAILED = "Не получилось соединить с оператором."
OFFER_OPERATOR = yes_no("Соединить вас с оператором?")
NOT_TRANSFERRED = "Хорошо."


def operators_closed(spoken_hours: str, next_open: str) -> str:
    return f"Операторы сейчас не работают. Они отвечают {spoken_hours}. Позвоните, пожалуйста, {next_open}."


def next_open_today(time_words: str) -> str:
    return f"сегодня с {time_words}"


def next_open_tomorrow(time_words: str) -> str:
    return f"завтра с {time_words}"


def next_open_on(day_index: int, time_words: str) -> str:
    return f"{DAYS_ON[day_index]} с {time_words}"


# Operator-facing (console) words: the escalation's summary and the transcript marks.
ESCALATION_REASONS = {
    "caller_request": "абонент попросил оператора",
    "caller_stuck": "абонент не понимает робота",
    "no_input": "абонент не отвечает",
    "no_match": "робот не понял ответы",
    "unknown_account": "лицевой счёт не найден",
    "verify_failed": "не прошёл проверку владельца",
    "verify_locked": "проверка владельца заблокирована",
    "dont_know_payment": "не знает сумму последнего платежа",
    "backend_error": "сервис счетов не ответил",
    "reading_implausible": "показание с большим расходом",
    "dont_know_account": "не знает номер лицевого счёта",
    "recalculation": "перерасчёт или спорное начисление",
    "instalments": "просит рассрочку или отсрочку",
    "register_help": "нужна помощь с регистрацией в личном кабинете",
    "callback_request": "просит перезвонить",
    "reading_refused": "показание, принятое без сервиса, не принято",
}
TOPIC_NAMES = {
    "balance": "баланс",
    "readings": "показания",
    "readings_window": "когда передавать показания",
    "promotion": "акция",
    "offices": "офисы",
    "operator": "оператор",
    "pay": "как оплатить",
    "receipt": "квитанция",
    "register": "личный кабинет",
    "register_offline": "регистрация без интернета",
    "penalties": "пени",
    "recalculation": "перерасчёт",
    "instalments": "рассрочка",
    "hotline_number": "номер горячей линии",
    "operator_hours": "часы операторов",
    "callback": "обратный звонок",
}


def escalation_summary(reason: str, topics: Sequence[str], account: str | None, verified: bool) -> str:
    asked = ", ".join(TOPIC_NAMES.get(t, t) for t in topics) or "ничего не выбрал"
    if account:
        who = f"Счёт {account}, {'подтверждён' if verified else 'не подтверждён'}"
    else:
        who = "Счёт не назван"
    return f"Причина: {ESCALATION_REASONS.get(reason, reason)}. Спрашивал: {asked}. {who}."


def callback_summary(phone: str, reason: str, topics: Sequence[str], account: str | None) -> str:
    asked = ", ".join(TOPIC_NAMES.get(t, t) for t in topics) or "ничего не выбрал"
    who = f"Счёт {account}" if account else "Счёт не назван"
    return (f"Перезвонить на номер {phone}. Причина: {ESCALATION_REASONS.get(reason, reason)}. "
            f"Спрашивал: {asked}. {who}.")


def transcript_keys(digits: str) -> str:
    return f"(нажато: {digits or 'ничего'})"


TRANSCRIPT_SILENCE = "(молчание)"

# Examples of caller's words for `hotline chat`'s help.
CHAT_EXAMPLES = ("баланс", "да", "ноль ноль один один один ноль ноль один один тире семь")

# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# Debt reminder calls (the robot calls the resident: dialogs/reminder.py). Who calls and why
# comes first, nothing of the account is said before the holder is confirmed (the account's
# ending, as for an inbound caller whose number is on file).

REMINDER_GREETING = (
    "Здравствуйте! Это автоматический звонок компании ЭкоТек по оплате коммунальных услуг. "
    "Разговор может записываться."
)
REMINDER_REFUSE = Choice(
    "refuse", "9", ("не звоните", "не звоните мне", "не звонить", "больше не звоните", "не беспокойте")
)
REMINDER_WRONG_NUMBER = Choice(
    "wrong_number", "3", ("ошиблись номером", "не туда попали", "неправильный номер", "вы ошиблись")
)


def reminder_holder(ending: str) -> Question:
    """Is this the account's holder? A stranger may also say «ошиблись номером» or «не звоните»."""
    prompt = f"Вы владелец лицевого счёта, который оканчивается на {ending}?"
    return Question(
        prompt=f"{prompt} Скажите да или нет.",
        reprompt=f"{prompt} Ответьте, пожалуйста: да или нет. Если мы ошиблись номером, скажите: ошиблись.",
        keypad=(
            f"{prompt} Если да, нажмите один. Если нет, нажмите два. Если мы ошиблись номером, нажмите три. "
            "Чтобы мы больше не звонили по этому номеру, нажмите девять."
        ),
        grammar=YES_NO_GRAMMAR,
        choices=(REMINDER_REFUSE, REMINDER_WRONG_NUMBER, YES, NO),
    )


REMINDER_NOT_HOLDER = (
    "Понятно. Пожалуйста, передайте владельцу счёта, что ему звонили из компании ЭкоТек "
    "по оплате коммунальных услуг."
)
REMINDER_UNANSWERED = "Не удалось поговорить с владельцем счёта. Извините за беспокойство."
REMINDER_OPTED_OUT = "Хорошо, мы больше не будем звонить на этот номер по оплате. Извините за беспокойство."
REMINDER_NO_DEBT = "Спасибо! По вашему счёту долга нет. Извините за беспокойство."


def reminder_debt(money: str, month: int) -> str:
    month_words = MONTHS_GENITIVE[month - 1]
    return f"По вашему счёту есть долг за коммунальные услуги. На конец {month_words}: {money}."


def reminder_due_now(money: str) -> str:
    """The debt left after payments that came in since the month's end."""
    return f"С учётом оплаты после конца месяца сейчас к оплате: {money}."


REMINDER_PAID = Choice("paid", "1", ("уже оплатил", "уже оплатила", "оплатил", "оплатила", "заплатил",
                                     "заплатила", "уже заплатил", "уже заплатила", "оплачено"))
REMINDER_PROMISE = Choice("promise", "2", ("оплачу", "заплачу", "обещаю", "погашу"))
REMINDER_CALLBACK = Choice("callback", "3", ("перезвоните", "обратный звонок"))
REMINDER_NOTHING = Choice("nothing", "4", ("ничего", "нет спасибо", "не надо", "нет"))
REMINDER_OFFERS = Question(
    prompt=(
        "Если вы уже оплатили, скажите: оплатил. Если оплатите позже, скажите: оплачу. "
        "Соединить с оператором — скажите: оператор. Обратный звонок оператора — скажите: перезвоните."
    ),
    reprompt="Вы уже оплатили или оплатите позже? Можно также попросить оператора.",
    keypad=(
        "Если вы уже оплатили, нажмите один. Если оплатите позже, нажмите два. "
        "Чтобы оператор вам перезвонил, нажмите три. Соединить с оператором — ноль. "
        "Если ничего не нужно, нажмите четыре. Чтобы мы больше не звонили, нажмите девять."
    ),
    choices=(REMINDER_REFUSE, REMINDER_PROMISE, REMINDER_PAID, REMINDER_CALLBACK, REMINDER_NOTHING),
)
REMINDER_PAID_NOTED = "Хорошо, я передам оператору, чтобы он проверил поступление оплаты."
REMINDER_PROMISE_DAY = Question(
    prompt="До какого числа вы оплатите? Назовите число, например: до двадцатого.",
    reprompt="Назовите, пожалуйста, число месяца, до которого вы оплатите.",
    keypad="Наберите на телефоне число месяца, до которого вы оплатите, и нажмите решётку.",
    open=True,  # «до пятнадцатого», «двадцать пятого числа»: ordinals, heard in free speech
)


def reminder_promise_noted(day: str) -> str:
    return f"Записано: оплата до {day}."


REMINDER_PROMISE_NO_DAY = "Не получилось записать число. Пожалуйста, оплатите как можно скорее."
REMINDER_GOODBYE = "Спасибо! До свидания!"


def _question_texts(question: Question) -> list[str]:
    return [question.prompt, question.reprompt, question.keypad]


# Never said to a caller: what callers typically say, rendered in the robot's voice at start so
# the free-speech recognisers have decoded Russian speech before the first open question
# (speech.asr.SpeechModel.prewarm; a cold one answers its first caller seconds late).
PREWARM_SPEECH = (
    "Здравствуйте, я хочу передать показания счётчика.",
    "Какая у меня задолженность за квартиру?",
    "Лицевой счёт ноль ноль один, один один ноль, ноль один один, дефис семь.",
    "Соедините меня, пожалуйста, с оператором.",
)


def static_texts() -> list[str]:
    """Every fixed prompt, for `hotline prompts build` to pre-render: each upper-case sentence and
    question of this catalogue (operator-facing transcript marks and chat help excepted)."""
    texts: list[str] = []
    for name, value in list(globals().items()):
        if not name.isupper() or name.startswith(("TRANSCRIPT_", "CHAT_")):
            continue
        if isinstance(value, str) and _CYRILLIC.search(value):
            texts.append(value)
        elif isinstance(value, Question):
            texts.extend(_question_texts(value))
    texts.extend(PROMOTION_REASONS.values())
    return list(dict.fromkeys(texts))


_CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)


def reading_refused_summary(reason: str, meter_id: object, value: str) -> str:
    """For operators: a reading kept while the service was down, refused when it was sent."""
    return (
        f"Показание, принятое при недоступном сервисе, отклонено ({reason}): "
        f"счётчик {meter_id}, значение {value}. Перезвоните абоненту."
    )
