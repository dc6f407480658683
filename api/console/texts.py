"""Russian wording of the console: labels for the API's machine values and refusals.

Why here: the API answers with machine reasons (`below_previous`, `already_taken`)
in English for programs; operators read Russian. Unknown values are shown as
they are rather than hidden, so a new reason is never lost.
"""

from __future__ import annotations

from typing import Any

from api.accounts import plain

# Escalation reasons the dialogs send (dialogs/prompts.py ESCALATION_REASONS has the same keys).
REASONS = {
    "caller_request": "Попросил оператора",
    "caller_stuck": "Не понимает робота",
    "no_input": "Не отвечает",
    "no_match": "Робот не понял ответы",
    "unknown_account": "Счёт не найден",
    "verify_failed": "Не прошёл проверку",
    "verify_locked": "Проверка заблокирована",
    "dont_know_payment": "Не знает сумму платежа",
    "backend_error": "Сервис счетов не ответил",
    "reading_implausible": "Большой расход",
    "dont_know_account": "Не знает номер счёта",
    "recalculation": "Перерасчёт, спорное начисление",
    "instalments": "Рассрочка или отсрочка",
    "register_help": "Помочь с личным кабинетом",
    "callback_request": "Просит перезвонить",
    "reading_refused": "Показание не принято сервисом",
}

# Dialog steps the IVR reports with PATCH /calls/{id} {"step": ...}.
STEPS = {
    "greeting": "Приветствие",
    "identify": "Называет счёт",
    "verify": "Проверка владельца",
    "menu": "Меню",
    "balance": "Баланс",
    "readings": "Показания",
    "promotion": "Акция",
    "offices": "Офисы и часы",
    "operator": "Перевод на оператора",
    "goodbye": "Прощание",
    "readings_window": "Когда передавать показания",
    "pay": "Как оплатить",
    "receipt": "Квитанция",
    "register": "Личный кабинет",
    "register_offline": "Регистрация без интернета",
    "penalties": "Пени",
    "recalculation": "Перерасчёт",
    "instalments": "Рассрочка",
    "hotline_number": "Номер горячей линии",
    "operator_hours": "Часы операторов",
    "callback": "Обратный звонок",
}

OUTCOMES = {
    "completed": "Решено роботом",
    "hangup": "Абонент положил трубку",
    "operator": "Передан оператору",
    "operator_closed": "Операторы не работают",
    "operator_failed": "Перевод не удался",
    "callback": "Заявка на обратный звонок",
    "time_limit": "Превышено время",
    "service_error": "Сбой сервиса",
    "busy": "Все линии были заняты",
    "shutdown": "Прерван перезапуском робота",
}

# Today's calls by how they ended (figures.py); the README's "Operator console" defines each.
OUTCOME_GROUPS = {
    "robot": "Решено роботом",
    "operator": "Переведено на оператора",
    "callback": "Заявка на обратный звонок",
    "hangup": "Положил трубку, не закончив",
    "operators_closed": "Операторы не работали",
    "operator_failed": "Перевод не удался",
    "failure": "Сбой, занято или превышено время",
    "other": "Без итога",
}


def gone_label(outcome: str | None) -> str:
    """What an escalation's chip says once its call ended without a transfer."""
    if outcome == "operator_closed":
        return "Звонок завершён: операторы не работали"
    if outcome == "operator_failed":
        return "Звонок завершён: перевод не удался"
    if outcome in ("service_error", "time_limit", "shutdown"):
        return "Звонок прервался"
    return "Абонент положил трубку"


# A callback's result, as the operator reports it; the text is stored as the outcome.
CALLBACK_RESULTS = {
    "reached": "Дозвонились",
    "no_answer": "Не дозвонились",
    "wrong_number": "Неверный номер",
}
RETRY_CHOICES = ((15, "через 15 минут"), (30, "через 30 минут"), (60, "через час"), (120, "через 2 часа"))
RETRY_DEFAULT = 30

LOCK_SCOPES = {"account": "Лицевой счёт", "caller": "Номер звонившего"}

SOURCES = {"ivr": "Горячая линия", "operator": "Оператор", "import": "Импорт", "chat": "Тестовый чат"}

STATUSES = {"open": "Ожидает", "taken": "В работе", "closed": "Закрыто"}

# Suggestions for closing an escalation (the operator may type any other).
CLOSE_OUTCOMES = (
    "Вопрос решён",
    "Показания приняты оператором",
    "Дана консультация",
    "Передано специалисту",
    "Перезвонить абоненту",
    "Абонент положил трубку",
)


# Outcomes of debt reminder calls (api.campaigns; the dialer and dialogs/reminder.py write them).
DEBT_OUTCOMES = {
    "dialling": "набирается",
    "answered": "ответили, владелец не подтверждён",
    "confirmed": "владелец подтвердил",
    "not_holder": "ответил не владелец",
    "not_holder_confirmed": "не владелец, передаст",
    "no_answer": "не ответили",
    "busy": "занято",
    "voicemail": "автоответчик / молчание",
    "refused": "просит не звонить",
    "wrong_number": "ошиблись номером",
    "promised": "обещал оплатить",
    "paid": "говорит, что оплатил",
    "failed": "звонок не состоялся",
}


def label(table: dict[str, str], value: str | None) -> str:
    if not value:
        return "—"
    return table.get(value, value)


def _ru_date(iso: str | None) -> str:
    if not iso:
        return "?"
    year, month, day = iso[:10].split("-")
    return f"{day}.{month}.{year}"


def reading_refusal(reason: str, message: str, data: dict[str, Any]) -> str:
    """The hotline's refusal of a reading (api/readings.py), told to the operator in Russian."""
    previous = data.get("previous")
    if reason == "invalid_value":
        return (
            "Показание должно быть неотрицательным числом, "
            "не больше трёх знаков после запятой (например 124,5)."
        )
    if reason == "verification_overdue":
        return (
            f"Срок поверки счётчика истёк {_ru_date(data.get('verification_due'))}: "
            "показания не принимаются. "
            "Абоненту нужно поверить или заменить счётчик."
        )
    if reason == "outside_window":
        window = data.get("window") or {}
        return (
            "Показания принимаются только в дни приёма. "
            f"Ближайший приём: с {_ru_date(window.get('start'))} по {_ru_date(window.get('end'))}."
        )
    if reason == "below_previous":
        return f"Показание меньше предыдущего ({_number(previous)}). Проверьте цифры."
    if reason == "implausible_use":
        return (
            f"Слишком большой расход: после предыдущего показания {_number(previous)} "
            f"ожидается не больше {_number(data.get('max_expected'))} "
            f"(за {data.get('months', 1)} мес.). Проверьте цифры."
        )
    if reason == "duplicate":
        return "Это показание уже передано в этом звонке."
    if reason == "meter_not_found":
        return "У этого лицевого счёта нет такого счётчика."
    return f"Показание не принято: {message}"


def _number(text: str | None) -> str:
    return "?" if text is None else text.replace(".", ",")


def escalation_refusal(reason: str, data: dict[str, Any], action: str = "") -> str:
    """The API's refusal of a take, note or close, for the operator who tried it."""
    who = data.get("operator") or "другой оператор"
    if reason == "already_taken":
        return f"Этот звонок уже взял оператор {who}."
    if reason == "already_closed":
        if action in ("note", "close", "result"):
            return f"Звонок уже закрыт (оператор {who}): заметку и итог менять нельзя."
        return f"Этот звонок уже закрыт (оператор {who})."
    if reason == "not_yours":
        if action in ("close", "result"):
            return f"Закрывает оператор, взявший звонок: {who}."
        return f"Заметку и итог пишет оператор, взявший звонок: {who}."
    if reason == "not_taken":
        if action == "result":
            return "Сначала возьмите обратный звонок, потом отмечайте результат."
        return "Сначала возьмите звонок, потом пишите заметку."
    return "Действие не выполнено."


def plain_ru(value: Any) -> str:
    """A reading or quantity as an operator writes it: 124,5."""
    text = plain(value) if value is not None else None
    return _number(text)


# ---- The queue's truth and callbacks placed through Asterisk (queue_truth.py, phone.py) --------
def caller_left_queue(minutes: int, seconds: int) -> str:
    """The outcome of an escalation whose caller hung up in the queue before an operator answered."""
    waited = f"{minutes} мин {seconds} с" if minutes else f"{seconds} с"
    return f"Абонент положил трубку в очереди, не дождавшись оператора (ждал {waited})"


def left_queue_callback_summary(number: str, reason: str, minutes: int) -> str:
    """A callback request made for a caller who gave up waiting («Перезвонить на номер» as the IVR's)."""
    waited = f"{minutes} мин" if minutes else "меньше минуты"
    return (
        f"Перезвонить на номер {number}. Причина: не дождался оператора в очереди ({waited}). "
        f"Повод перевода: {label(REASONS, reason).lower()}."
    )


# Asterisk's DIALSTATUS and OriginateResponse reasons as the callback's notes say them.
DIAL_RESULTS = {
    "ANSWER": "абонент ответил, разговор состоялся",
    "NOANSWER": "абонент не ответил",
    "BUSY": "у абонента занято",
    "CHANUNAVAIL": "номер недоступен",
    "CONGESTION": "линия перегружена",
    "CANCEL": "звонок отменён до ответа абонента",
    "NOTDIALLED": "номер абонента не набран",
}
OPERATOR_PHONE_RESULTS = {
    "NOANSWER": "телефон оператора не ответил",
    "BUSY": "телефон оператора занят",
    "CONGESTION": "телефон оператора недоступен",
    "HANGUP": "оператор сбросил звонок",
    "FAILED": "телефон оператора недоступен",
}


def callback_placed(endpoint: str, number: str) -> str:
    return f"звонок через АТС: {endpoint} → {number}"


CALLBACK_DIALLING = "оператор ответил, набираем абонента"
CALLBACK_NO_PHONE = "Звонки из консоли не настроены: позвоните абоненту со своего телефона."
CALLBACK_NO_NUMBER = "У заявки нет номера, на который можно позвонить."


def callback_refused(message: str) -> str:
    return f"АТС не приняла звонок: {message}"
