import asyncio

import pytest

from dialogs.channel import DtmfSpec, Hangup, Reply
from ivr.session import CallSession, real_words
from telephony.ami import CallInfo
from telephony.audiosocket import FRAME_BYTES, AudioSocketServer, Kind

from .fakes import RecordingBackend, ScriptedRecognizer, ToneSynthesizer
from .peer import StreamingAsterisk


class Harness:
    """One call: the IVR's AudioSocket server with a CallSession, and a streaming fake Asterisk."""

    def __init__(self, dialog, **session_kwargs):
        self.dialog = dialog
        self.kwargs = session_kwargs
        self.backend = RecordingBackend()
        self.synth = session_kwargs.pop("synthesizer", ToneSynthesizer())
        self.session: CallSession | None = None
        self.outcome: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.server = AudioSocketServer(self._handle, "127.0.0.1", 0, warmup=0)
        self.peer = StreamingAsterisk()

    async def _handle(self, call):
        self.session = CallSession(
            call,
            backend=self.backend,
            synthesizer=self.synth,
            info=CallInfo(call.call_id, "79001110011", "Local/test;1"),
            **self.kwargs,
        )
        try:
            self.outcome.set_result(await self.session.run(self.dialog))
        except BaseException as exc:
            self.outcome.set_exception(exc)
            raise

    async def __aenter__(self):
        await self.server.start()
        await self.peer.connect(self.server.port)
        return self

    async def __aexit__(self, *exc):
        await self.peer.close()
        await self.server.close()

    def speech_frames(self) -> int:
        return sum(1 for _, p in self.peer.audio() if any(p))

    def speech_frames_after(self, t: float) -> int:
        return sum(1 for at, p in self.peer.audio() if any(p) and at > t)


def test_noise_markers_are_not_words():
    assert real_words("[unk] [unk]") == []
    assert real_words("") == []
    assert real_words("[unk] баланс") == ["баланс"]


async def test_say_plays_speech_and_records_the_call():
    async def dialog(ch, backend):
        await ch.say("Здравствуйте!")

    async with Harness(dialog) as h:
        assert await asyncio.wait_for(h.outcome, 10) == "completed"
        await asyncio.wait_for(h.peer.eof.wait(), 5)
    expected_frames = int(h.synth.seconds_for("Здравствуйте!") / 0.02)
    assert abs(h.speech_frames() - expected_frames) <= 1
    assert h.backend.log[0] == ("start", h.session.call_id, "79001110011", "Local/test;1")
    assert h.backend.transcript() == [("robot", "Здравствуйте!")]
    assert h.backend.log[-1] == ("end", h.session.call_id, "completed")
    assert h.peer.kinds()[-1] == Kind.HANGUP


@pytest.mark.parametrize(
    ("keys", "spec", "expected"),
    [
        ("12*34#", DtmfSpec(max_digits=10), "34"),  # * erases, # ends
        ("1234", DtmfSpec(max_digits=4), "1234"),  # ends at max_digits
        ("7", DtmfSpec(max_digits=1), "7"),  # menus answer on the first key
        ("#", DtmfSpec(max_digits=10), ""),  # only the terminator: an empty entry
        ("#", DtmfSpec(max_digits=1), "#"),  # a one-key question takes any key (as dialogs.keys says)
    ],
)
async def test_keys_are_collected_per_spec(keys, spec, expected):
    replies = []

    async def dialog(ch, backend):
        replies.append(await ch.ask("Введите номер", dtmf=spec, timeout=5))

    async with Harness(dialog) as h:
        await h.peer.wait_for(lambda: h.speech_frames() > 0)
        for key in keys:
            h.peer.send_dtmf(key)
        await asyncio.wait_for(h.outcome, 10)
    assert replies == [Reply.keys(expected)]
    assert ("caller", f"[DTMF] {expected}") in h.backend.transcript()


async def test_keys_stop_after_the_inter_digit_timeout():
    replies = []

    async def dialog(ch, backend):
        replies.append(await ch.ask("", dtmf=DtmfSpec(max_digits=10, inter_digit_timeout=0.3), timeout=5))

    async with Harness(dialog) as h:
        h.peer.send_dtmf("4")
        h.peer.send_dtmf("2")
        await asyncio.wait_for(h.outcome, 10)
    assert replies == [Reply.keys("42")]


async def test_a_key_stops_the_prompt_at_once():
    replies = []

    async def dialog(ch, backend):
        replies.append(await ch.ask("Очень длинное меню " * 10, dtmf=DtmfSpec(max_digits=1)))

    async with Harness(dialog) as h:
        await h.peer.wait_for(lambda: h.speech_frames() > 10)
        h.peer.send_dtmf("3")
        pressed = asyncio.get_running_loop().time()
        await asyncio.wait_for(h.outcome, 10)
        await asyncio.wait_for(h.peer.eof.wait(), 5)
    assert replies == [Reply.keys("3")]
    # At most 100 ms of prompt (5 frames, those already on the wire included) after the key.
    assert h.speech_frames_after(pressed) <= 5
    assert h.speech_frames() < int(h.synth.seconds_for("Очень длинное меню " * 10) / 0.02) // 2


async def test_a_real_word_stops_the_prompt_but_noise_does_not():
    rec = ScriptedRecognizer()
    replies = []

    async def dialog(ch, backend):
        replies.append(await ch.ask("Скажите, что вас интересует " * 6, expect=["баланс", "оператор"]))

    async with Harness(dialog, recognizer=rec) as h:
        await h.peer.wait_for(lambda: h.speech_frames() > 10)
        rec.emit("partial", "[unk]")
        rec.emit("partial", "")
        rec.emit("final", "[unk]")
        await asyncio.sleep(0.3)
        assert not h.outcome.done()
        before = h.speech_frames()
        await asyncio.sleep(0.1)
        assert h.speech_frames() > before  # noise did not stop the prompt
        rec.emit("partial", "[unk] баланс")
        said = asyncio.get_running_loop().time()
        await asyncio.sleep(0.3)
        assert h.speech_frames_after(said) <= 5
        rec.emit("final", "баланс")
        await asyncio.wait_for(h.outcome, 10)
    assert replies == [Reply.speech("баланс")]
    assert ["баланс", "оператор"] in rec.grammars
    assert ("caller", "баланс") in h.backend.transcript()
    assert rec.closed


async def test_keys_pressed_during_say_answer_the_next_question():
    replies = []

    async def dialog(ch, backend):
        await ch.say("Длинное приветствие " * 8)
        replies.append(await ch.ask("Меню", dtmf=DtmfSpec(max_digits=1)))

    async with Harness(dialog) as h:
        await h.peer.wait_for(lambda: h.speech_frames() > 5)
        h.peer.send_dtmf("2")
        await asyncio.wait_for(h.outcome, 10)
    assert replies == [Reply.keys("2")]
    assert h.speech_frames() < int(h.synth.seconds_for("Длинное приветствие " * 8) / 0.02) // 2


async def test_no_answer_is_silence():
    replies = []

    async def dialog(ch, backend):
        replies.append(await ch.ask("Алло?", dtmf=DtmfSpec(), timeout=0.3))

    async with Harness(dialog, recognizer=ScriptedRecognizer()) as h:
        await asyncio.wait_for(h.outcome, 10)
    assert replies == [Reply.silence()]


async def test_keypad_only_without_a_recogniser():
    replies = []

    async def dialog(ch, backend):
        replies.append(await ch.ask("Нажмите", expect=["да"], dtmf=DtmfSpec(max_digits=1)))

    async with Harness(dialog, recognizer=None) as h:
        await h.peer.wait_for(lambda: h.speech_frames() > 0)
        h.peer.send_dtmf("1")
        await asyncio.wait_for(h.outcome, 10)
    assert replies == [Reply.keys("1")]


async def test_a_failing_recogniser_leaves_the_keypad_working():
    rec = ScriptedRecognizer(fail_on_feed=True)
    replies = []

    async def dialog(ch, backend):
        replies.append(await ch.ask("Нажмите", dtmf=DtmfSpec(max_digits=1)))

    async with Harness(dialog, recognizer=rec) as h:
        await h.peer.wait_for(lambda: rec.frames > 0)
        h.peer.send_dtmf("5")
        await asyncio.wait_for(h.outcome, 10)
    assert replies == [Reply.keys("5")]
    assert rec.closed


async def test_hangup_mid_prompt_ends_the_session_cleanly():
    rec = ScriptedRecognizer()
    reached = []

    async def dialog(ch, backend):
        try:
            await ch.say("Очень длинный текст " * 20)
        except Hangup:
            reached.append("hangup raised")
            raise
        reached.append("after say")

    async with Harness(dialog, recognizer=rec) as h:
        await h.peer.wait_for(lambda: h.speech_frames() > 5)
        h.peer.send_hangup()
        assert await asyncio.wait_for(h.outcome, 10) == "hangup"
    assert reached == ["hangup raised"]
    assert rec.closed
    assert h.backend.log[-1] == ("end", h.session.call_id, "hangup")
    leftovers = [
        t for t in asyncio.all_tasks() if t.get_name().startswith(("session-", "dialog-", "audiosocket-"))
    ]
    assert leftovers == []


async def test_ask_reports_a_hangup_as_a_reply():
    replies = []

    async def dialog(ch, backend):
        replies.append(await ch.ask("Введите", dtmf=DtmfSpec(max_digits=10), timeout=30))
        replies.append(await ch.ask("Ещё раз", dtmf=DtmfSpec(max_digits=10), timeout=30))

    async with Harness(dialog) as h:
        await h.peer.wait_for(lambda: h.speech_frames() > 0)
        h.peer.send_dtmf("1")
        h.peer.send_hangup()
        assert await asyncio.wait_for(h.outcome, 10) == "hangup"
    assert replies == [Reply.hangup(), Reply.hangup()]


async def test_a_dialog_that_ignores_the_hangup_is_stopped():
    async def dialog(ch, backend):
        await asyncio.sleep(60)  # e.g. stuck waiting on a slow service

    async with Harness(dialog) as h:
        await asyncio.sleep(0.1)
        h.peer.send_hangup()
        assert await asyncio.wait_for(h.outcome, 10) == "hangup"
    assert h.backend.log[-1][0] == "end"


async def test_a_failing_dialog_closes_the_record_and_the_call():
    async def dialog(ch, backend):
        raise KeyError("bug")

    async with Harness(dialog) as h:
        assert await asyncio.wait_for(h.outcome, 10) == "service_error"
        await asyncio.wait_for(h.peer.eof.wait(), 5)
    assert h.backend.log[-1] == ("end", h.session.call_id, "service_error")
    assert h.peer.kinds()[-1] == Kind.HANGUP


async def test_a_call_never_lasts_longer_than_the_limit():
    async def dialog(ch, backend):
        while True:
            await ch.ask("Алло?", dtmf=DtmfSpec(), timeout=0.2)

    async with Harness(dialog, max_call_seconds=1.0, limit_grace=0.5) as h:
        assert await asyncio.wait_for(h.outcome, 10) == "time_limit"
    assert h.backend.kinds().count("end") == 1


async def test_transfer_without_ami_says_no():
    results = []

    async def dialog(ch, backend):
        results.append(await ch.transfer_to_operator())

    async with Harness(dialog) as h:
        assert await asyncio.wait_for(h.outcome, 10) == "completed"
    assert results == [False]


async def test_slow_speech_is_asked_of_the_synthesizer():
    async def dialog(ch, backend):
        ch.slow = True
        await ch.say("Медленно")

    async with Harness(dialog) as h:
        await asyncio.wait_for(h.outcome, 10)
    expected = int(h.synth.seconds_for("Медленно") * 1.3 / 0.02)
    assert abs(h.speech_frames() - expected) <= 1
    assert len(h.peer.audio()[0][1]) == FRAME_BYTES


async def test_the_dialogs_own_outcome_is_stored():
    async def dialog(ch, backend):
        await ch.say("Перезвоните позже")
        await ch.hangup()
        return "operator_closed"

    async with Harness(dialog) as h:
        assert await asyncio.wait_for(h.outcome, 10) == "operator_closed"
    assert h.backend.log[-1] == ("end", h.session.call_id, "operator_closed")


async def test_a_dialog_that_keeps_its_own_transcript_gets_no_duplicates():
    async def dialog(ch, backend):
        await ch.say("Здравствуйте")
        await ch.ask("Введите", dtmf=DtmfSpec(max_digits=1), timeout=0.2)

    async with Harness(dialog, record_transcript=False) as h:
        await asyncio.wait_for(h.outcome, 10)
    assert h.backend.transcript() == []
    assert h.session.transcript == [("robot", "Здравствуйте"), ("robot", "Введите")]
    assert h.backend.kinds() == ["start", "end"]


async def test_the_call_record_is_written_once_behind_a_slow_api():
    """The record has one owner: a dialog that starts and ends it gets one start (with the
    channel the session knows) and one end; the voice never waits for a slow API."""

    class SlowApi(RecordingBackend):
        async def start_call(self, call_id, *, caller, channel=None, idempotency_key=""):
            await asyncio.sleep(0.3)
            await super().start_call(call_id, caller=caller, channel=channel)

    said_at = []

    async def dialog(ch, backend):
        ch.record.start()
        said_at.append(asyncio.get_running_loop().time())
        await ch.say("Здравствуйте")
        ch.record.start()  # a second start writes nothing
        ch.record.end("completed")
        return "completed"

    async with Harness(dialog) as h:
        h.backend = SlowApi()
        started = asyncio.get_running_loop().time()
        await asyncio.wait_for(h.outcome, 10)
    assert said_at[0] - started < 0.25
    assert h.backend.kinds() == ["start", "transcript", "end"]
    assert h.backend.log[0][3] == "Local/test;1"


@pytest.mark.parametrize("late", [False, True])
async def test_a_terminator_after_a_full_entry_answers_nothing(late):
    replies = []

    async def dialog(ch, backend):
        replies.append(await ch.ask("Номер", dtmf=DtmfSpec(max_digits=4), timeout=5))
        replies.append(await ch.ask("Верно?", dtmf=DtmfSpec(max_digits=1), timeout=5))

    async with Harness(dialog) as h:
        await h.peer.wait_for(lambda: h.speech_frames() > 0)
        for key in "1234":
            h.peer.send_dtmf(key)
        if late:  # pressed after the first answer was taken
            await h.peer.wait_for(lambda: len(replies) == 1)
        h.peer.send_dtmf("#")
        await asyncio.sleep(0.2)
        h.peer.send_dtmf("1")
        await asyncio.wait_for(h.outcome, 10)
    assert replies == [Reply.keys("1234"), Reply.keys("1")]


async def test_the_questions_completeness_check_reaches_the_recogniser():
    rec = ScriptedRecognizer()
    replies = []

    def complete(text):
        return text == "да"

    async def dialog(ch, backend):
        replies.append(await ch.ask("Верно?", expect=["да", "нет"], dtmf=DtmfSpec(), complete=complete))

    async with Harness(dialog, recognizer=rec) as h:
        await h.peer.wait_for(lambda: rec.grammars == [["да", "нет"]])
        assert rec.complete is complete
        rec.emit("final", "да")
        await asyncio.wait_for(h.outcome, 10)
    assert replies == [Reply.speech("да")]
    assert rec.grammars == [["да", "нет"]]  # no wasted reset to free speech at the call's start
