"""The caller's words: what each request sounds like, as patterns over lemmas.

Why a table apart from the prompt catalogue: `prompts.py` holds what the robot *says*; this file
holds what residents *say* to it — in their own words, with politeness, fillers and word forms.
Patterns are written in ordinary Russian and lemmatised by `dialogs.understanding` with the same
morphology as the caller's words, so «оператора», «оператором», «операторы» all match «оператор».

Pattern syntax (one string per pattern; every slot must occur, in any order):
    "как|где|куда + оплатить|заплатить"   two slots, each with alternatives
    "до свидания"                          one alternative of two consecutive words
    "=девушку|=девушкой"                   `=`: this exact word form, not its lemma
A pattern that needs a context (`@promotion`) only counts while that subject is being discussed.

The grammar words of closed questions (`global_phrases`) come from the same table, so what the
understanding accepts there can also be heard by the recogniser.
"""

from __future__ import annotations

from dataclasses import dataclass

# --- intents understood at every question ---------------------------------------------------------
OPERATOR = "operator"
MENU = "menu"  # «меню», «назад», «в начало»
REPEAT = "repeat"
SLOWER = "slower"
GOODBYE = "goodbye"
DONT_KNOW = "dont_know"
STUCK = "stuck"  # «ничего не понимаю», «помогите»
MORE = "more"  # «подробнее»: the rest of a short menu
CALLBACK = "callback"  # «перезвоните мне»
THANKS = "thanks"  # politeness; a goodbye only where the caller is asked whether anything else is needed
ARE_YOU_THERE = "are_you_there"  # «алло, вы меня слышите?»
WHO_ARE_YOU = "who_are_you"  # «это робот?», «я с кем говорю?»

GLOBAL_INTENTS = (
    OPERATOR, MENU, REPEAT, SLOWER, GOODBYE, DONT_KNOW, STUCK, MORE, CALLBACK, THANKS, ARE_YOU_THERE,
    WHO_ARE_YOU,
)

# --- topics: what the caller rings about ------------------------------------------------------------
BALANCE = "balance"
PAY = "pay"  # how and where to pay
READINGS = "readings"
READINGS_WINDOW = "readings_window"  # when readings are taken
PROMOTION = "promotion"
PROMO_PARTICIPANTS = "promo_participants"
PROMO_TERRITORIES = "promo_territories"
PROMO_PERIOD = "promo_period"
PROMO_PRIZE = "promo_prize"
PROMO_DRAW = "promo_draw"
PROMO_COLLECT = "promo_collect"
PROMO_UNCLAIMED = "promo_unclaimed"
PROMO_STATUS = "promo_status"  # «я участвую?»
PROMO_WINNER = "promo_winner"  # «я выиграла?»
REGISTER = "register"  # the personal account (личный кабинет)
REGISTER_OFFLINE = "register_offline"  # … without internet
OFFICES = "offices"
RECEIPT = "receipt"  # the receipt did not come; e-mail receipt
PENALTIES = "penalties"
RECALCULATION = "recalculation"  # a recalculation or a disputed charge
INSTALMENTS = "instalments"
HOTLINE_NUMBER = "hotline_number"
OPERATOR_HOURS = "operator_hours"


@dataclass(frozen=True)
class Intent:
    name: str
    family: str  # within a family only the most specific match counts («где получить приз»)
    patterns: tuple[str, ...]
    general: bool = False  # the family's catch-all, dropped when a specific one matched
    absorbs: tuple[str, ...] = ()  # other needs it answers too: «долг в рассрочку» asks no balance


def _i(
    name: str, family: str, *patterns: str, general: bool = False, absorbs: tuple[str, ...] = ()
) -> Intent:
    return Intent(name, family, patterns, general, absorbs)


# Order inside a family breaks ties between equally specific matches.
INTENTS: tuple[Intent, ...] = (
    # -- global ---------------------------------------------------------------------------------
    _i(OPERATOR, OPERATOR,
       "оператор|специалист|консультант|сотрудник|менеджер|диспетчер|операционист",
       "=девушку|=девушкой|=девушке|=человека|=человеком|=людьми|живой человек|живым человеком",
       "соединить|соединять|переключить|переключать", "поговорить|говорить + =кем|=живым",
       "позвать + =кого|=кого-то"),
    _i(OPERATOR_HOURS, OPERATOR,
       "когда|часы|время|сколько|график + оператор|специалист + работать|отвечать|быть",
       "когда|часы|время|график + оператор|специалист"),
    _i(MENU, MENU, "меню", "назад", "в начало|с начала|сначала|на начало", "вернуться|вернуть",
       "главный меню", "другой вопрос"),
    _i(REPEAT, REPEAT, "повторить|повторять", "ещё раз", "не расслышать|не услышать|не слышно",
       "что вы сказать", "=что-что|=чего-чего", "громкий|громко", "не поняла|не понял"),
    _i(SLOWER, SLOWER, "медленный|медленно|помедленный", "не так быстро", "быстро + говорить"),
    _i(GOODBYE, GOODBYE, "до свидания|до свиданья|досвидания",
       "всего доброго|всего хорошего|всего наилучшего",
       "больше ничего", "ничего не надо|ничего не нужно|больше не надо|больше не нужно",
       "всё + спасибо", "закончить разговор|закончить звонок"),
    _i(DONT_KNOW, DONT_KNOW, "не знать", "не помнить", "забыть", "откуда + знать",
       "нет + квитанция|чек", "не могу + найти"),
    _i(STUCK, STUCK, "не понимать", "непонятно|ничего не понятно", "помочь|помогите", "запутаться"),
    _i(MORE, MORE, "подробный|подробно|подробность", "другой тема|другие темы", "что ещё", "дальше"),
    _i(CALLBACK, CALLBACK, "перезвонить", "обратный звонок", "позвонить + мне|=мне"),
    _i(THANKS, THANKS, "спасибо|благодарить|спасибочки"),
    _i(ARE_YOU_THERE, ARE_YOU_THERE, "вы + слышать", "слышно + меня", "есть + кто",
       "алло|=алё|=аллё|=алле"),  # a bare «алло?»: the caller checks the line, as on any phone call
    _i(WHO_ARE_YOU, WHO_ARE_YOU, "робот|автоответчик|автомат", "с + кто + говорить|разговаривать"),
    # -- money --------------------------------------------------------------------------------
    _i(BALANCE, "money", "баланс", "долг", "задолженность", "задолжать", "сколько|много|что + должный",
       "должный + деньги|рубль",
       "сколько + платить|заплатить|оплатить|оплачивать|начислить|насчитать|выставить|надо|нужно",
       "сколько|много|что + набежать|накапать|накопиться|натикать",  # «сколько там у меня набежало»
       "сумма", "начисление", "переплата", "квитанция", "счёт + за|месяц", "остаток", general=True),
    _i(PAY, "money", "как|где|куда|чем|способ + оплатить|заплатить|платить|оплата|оплачивать",
       "реквизит", "терминал|банкомат|сбербанк|касса", "карта|наличные|почта + оплатить|заплатить|платить"),
    _i(PENALTIES, "penalties", "пеня|пени|неустойка|штраф", "процент + просрочка|долг",
       absorbs=(BALANCE, RECEIPT)),
    _i(RECALCULATION, "dispute", "перерасчёт|пересчитать|перерасчитать|пересчёт",
       "неправильно|неверно|ошибка|ошибочно|лишний|много|завысить|не согласный|не согласен|не согласна"
       " + начислить|насчитать|начисление|сумма|квитанция|выставить|посчитать",
       "почему + так много|столько", "большой|больший|огромный + сумма|квитанция|счёт",
       "=двоих|=троих|=четверых|двое|трое + платить|насчитать|начислить|считать|начислять",
       "один|одна|одни + жить|проживать",
       "не жить|не проживать|умереть|выписаться|продать|переехать + начислять|начислить|насчитать|платить|"
       "считать|начисление|квитанция",
       absorbs=(BALANCE, RECEIPT)),
    _i(INSTALMENTS, "instalments", "рассрочка|отсрочка",
       "по частям|частями|частично + платить|оплатить|заплатить",
       "не + сразу|весь|полностью + оплатить|заплатить|платить|погасить", absorbs=(BALANCE, PAY)),
    _i(RECEIPT, "receipt",
       "квитанция|епд|платёжка + не прийти|не приходить|не получать|не получить|нет|потерять|пропасть|"
       "потеряться",
       "квитанция|епд|платёжка + почта|электронный|email|имейл|бумажный|отказаться|получать",
       "электронный квитанция|электронная квитанция"),
    # -- readings -----------------------------------------------------------------------------
    _i(READINGS, "readings", "показание", "счётчик", "передать|сдать|подать + вода|свет|электричество",
       general=True),
    _i(READINGS_WINDOW, "readings",
       "когда|какой|до|срок|период|число|дни + показание|счётчик + передавать|передать|сдавать|сдать|"
       "подавать|принимать|можно|число|срок", "когда|какой|до|срок|число + показание|счётчик"),
    # -- promotion ----------------------------------------------------------------------------
    _i(PROMOTION, "promotion", "акция", "розыгрыш", "приз|подарок|сертификат", "хороший привычка",
       general=True),
    _i(PROMO_PARTICIPANTS, "promotion", "кто + участвовать|участник|мочь участвовать|принимать участие",
       "участник", "условие + акция|участие", "@кто"),
    _i(PROMO_TERRITORIES, "promotion", "территория|город|район|где + акция|проходить|участвовать",
       "@территория|город|район"),
    _i(PROMO_PERIOD, "promotion", "срок|когда|сколько|до + акция + проходить|закончиться|кончиться|начаться|"
       "длиться|продлиться|идти", "срок + акция", "@срок|когда|сколько продлиться|до какой"),
    _i(PROMO_PRIZE, "promotion", "приз|подарок|сертификат|призовой",
       "что + выиграть|разыгрывать|дать|дарить"),
    _i(PROMO_DRAW, "promotion",
       "розыгрыш|итог|победитель|результат + когда|где|акция|быть|пройти|проходить|узнать|подвести",
       "кто + выиграть|победить", "@розыгрыш|итог|победитель"),
    _i(PROMO_COLLECT, "promotion",
       "где|как|куда|когда|за|офис|какой + получить|забрать|вручение|выдавать|вручать|выдача|приходить|"
       "прийти|идти|ехать"
       " + приз|подарок|сертификат|выигрыш",
       "@где|куда + получить|забрать"),
    _i(PROMO_UNCLAIMED, "promotion", "невостребованный",
       "не + забрать|получить|прийти + приз|подарок|сертификат", "@не + забрать|успеть"),
    _i(PROMO_STATUS, "promotion", "я|мой|меня|мы|наш + участвовать|участие|участник", "участвовать ли",
       "мочь + я + участвовать"),
    _i(PROMO_WINNER, "promotion", "я|мы|мне + выиграть|победить|победитель|выигрыш", "выиграть ли"),
    # -- personal account -----------------------------------------------------------------------
    _i(REGISTER, "register", "личный кабинет", "кабинет", "зарегистрироваться|регистрация|зарегистрировать",
       "сайт", "как|чтобы|нужно|надо + участвовать|поучаствовать|участие", general=True),
    _i(REGISTER_OFFLINE, "register", "интернет|компьютер|смартфон|сайт + нет|без",
       "интернет|компьютер|смартфон|сайт + не пользоваться|не уметь|не иметь",
       "без интернета|без компьютера"),
    # -- offices and the hotline --------------------------------------------------------------
    _i(OFFICES, "offices", "офис|отделение|адрес", "куда + прийти|подойти|обратиться|"
       "ехать|идти", "где + находиться", "часы + работа|приём", "время работы|график работы|часы работы",
       "приём граждан", "когда + работать|принимать|открыть",
       "работать + суббота|воскресенье|понедельник|выходной|сегодня|завтра|праздник",
       "во сколько|до скольки + открываться|закрываться|работать"),
    _i(HOTLINE_NUMBER, "hotline", "горячий линия", "номер|телефон + ваш|горячий|бесплатный|позвонить|звонить",
       "какой + номер|телефон + у вас"),
)

# Words that say nothing about the request («ну это самое, дочка, …»): an utterance of only these
# (and thanks) asks for nothing. They are not removed before matching: some patterns use them.
FILLERS = frozenset({
    "ну", "вот", "это", "самое", "значит", "так", "слушайте", "скажите", "подскажите", "пожалуйста", "дочка",
    "доченька", "сынок", "милая", "милок", "алло", "ало", "здравствуйте", "здрасте", "здравствуй", "добрый",
    "день", "вечер", "утро", "доброе", "а", "э", "ээ", "эээ", "м", "мм", "ммм", "эм", "угу", "ага", "вообще",
    "короче", "типа", "просто", "большое", "огромное", "вам",
    "уж", "же", "ли", "бы", "то", "вы", "мне", "у", "меня", "я", "хочу", "хотела",
    "хотел", "хотелось", "можно", "нужно", "надо", "узнать", "спросить", "интересует", "вопрос", "про", "о",
    "об", "по", "поводу", "насчет", "unk",
})

# At "anything else?" these alone mean the caller is done («нет», «всё», «не надо» — fillers removed).
DONE_WORDS = frozenset({"все", "всё", "не", "ничего", "хватит", "нет", "неа", "достаточно"})
# With thanks, these mean "understood, that's all" («понятно, спасибо», «хорошо, спасибо»).
ACKNOWLEDGEMENTS = frozenset({"понятно", "ясно", "хорошо", "ладно", "отлично", "поняла", "понял", "ок", "да",
                              "больше"})
# Inside a sub-menu (the promotion's topics) these alone mean "enough about this".
ENOUGH_WORDS = frozenset({"нет", "все", "хватит", "спасибо", "достаточно", "понятно", "ясно"})

THANKS_WORDS = frozenset({"спасибо", "спасибочки", "благодарю"})
NO_WORD = "нет"  # between two numbers it corrects the first («шестьсот сорок шесть нет шестьсот сорок пять»)
# Hyphenated words that would fall apart into other words («не-а» is a no, not «не» + «а»).
HYPHENATED = (("не-а", "неа"),)
# Recognisers print ё or е; words are compared with е.
FOLD_YO = str.maketrans("ёЁ", "еЕ")

# A self-correction: what follows counts («шестьсот сорок шесть, ой нет, шестьсот сорок пять»).
CORRECTIONS = ("ой нет", "ой", "нет нет", "то есть", "вернее", "точнее", "в смысле", "а нет", "ой извините",
               "извините", "простите", "стоп")

# Particles that turn a request into a refusal when they stand before it («не надо оператора»).
NEGATION = "не"
# Skipped between the negation and the request: «не нужен мне оператор».
NEGATION_SKIPPED = frozenset({"мне", "нам", "меня", "вам", "пока", "уже", "сейчас"})
NEGATED_AUX = frozenset({"надо", "нужно", "нужен", "нужна", "хочу", "хочется", "зовите", "звоните", "стоит",
                         "будем", "буду", "надобно"})

# Closed questions listen for these whole phrases besides their answers (recogniser grammar).
GLOBAL_PHRASES: dict[str, tuple[str, ...]] = {
    OPERATOR: ("оператор", "оператора", "оператором", "с оператором", "соедините", "специалист",
               "специалиста", "человека", "с человеком", "живой человек", "девушку", "консультант",
               "консультанта", "сотрудника", "позовите", "кого-нибудь"),
    MENU: ("меню", "назад", "в начало", "сначала", "вернуться", "главное меню"),
    REPEAT: ("повторите", "повтори", "повторить", "ещё раз", "еще раз", "не расслышал", "не расслышала",
             "громче", "что", "не поняла", "не понял", "что вы сказали", "что-что"),
    SLOWER: ("медленнее", "помедленнее", "медленней", "помедленней", "не так быстро"),
    GOODBYE: ("до свидания", "всего доброго", "всего хорошего", "больше ничего", "ничего не надо"),
    DONT_KNOW: ("не знаю", "не помню", "забыл", "забыла", "нет квитанции", "не могу найти"),
    STUCK: ("не понимаю", "непонятно", "помогите", "ничего не понимаю"),
    THANKS: ("спасибо",),
    ARE_YOU_THERE: ("алло", "вы меня слышите", "меня слышно"),
}


# The words of the common requests, heard at closed questions too, so that a caller who asks about
# something else in the middle of a flow («а где ваш офис?») is understood (a wide grammar, not free speech).
TOPIC_WORDS = (
    "а", "вы", "ваш", "мне", "где", "куда", "когда", "как", "сколько", "какой", "баланс", "долг",
    "задолженность", "должна", "должен", "платить", "оплатить", "заплатить", "оплата", "квитанция",
    "квитанции", "квитанцию", "показания", "показание", "счётчик", "счетчик", "счётчики", "передать", "акция",
    "акции", "акцию", "приз", "призы", "розыгрыш", "участвую", "выиграла", "выиграл", "офис", "офиса",
    "адрес",
    "находитесь", "часы", "работы", "пени", "перерасчёт", "перерасчет", "рассрочка", "рассрочку", "личный",
    "кабинет", "интернет", "интернета", "номер", "телефон", "горячей", "линии", "перезвоните", "обратный",
    "звонок", "пожалуйста", "ну", "подождите",
)


def global_phrases() -> tuple[str, ...]:
    """Every global phrase, for the grammars of closed questions."""
    return tuple(dict.fromkeys(p for phrases in GLOBAL_PHRASES.values() for p in phrases))
