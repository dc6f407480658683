"""`hotline` subcommands owned by the `speech` package.

    hotline models list                      installed Vosk models
    hotline models download ru-small|ru-big  fetch, verify (SHA-256), unpack into HOTLINE_MODELS_DIR
    hotline models recognize FILE.wav        run a WAV through the streaming recogniser (8 kHz path)
    hotline prompts build                    pre-render every fixed prompt at both speech rates
                                             (the texts are the dialogs', handed in by ivr)
    hotline prompts say TEXT -o FILE.wav     render one sentence as the phone line will hear it
    hotline prompts phonemes TEXT            espeak-ng's phonemes for TEXT as the robot says it
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import TypeAlias

    from speech.settings import SpeechSettings
    from speech.tts import EspeakSynthesizer

    Subcommands: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]

PromptTexts = Callable[[], Sequence[str]]


def register(sub: Subcommands, *, prompt_texts: PromptTexts | None = None) -> None:
    """Add this package's subcommands to the `hotline` parser.

    `prompt_texts` gives the fixed sentences `hotline prompts build` renders: what the robot says
    is the dialogs' business, so whoever composes the packages (ivr) hands it in; without it
    there is no `build` action.
    """
    from speech.models import CATALOGUE

    msub = _command_group(sub, "models", "speech recognition models (Vosk)")

    p = msub.add_parser("list", help="show installed models and the downloadable ones")
    p.set_defaults(func=cmd_models_list)

    p = msub.add_parser("download", help="download, verify and install a model")
    p.add_argument("model", choices=sorted(CATALOGUE), help="which model")
    p.add_argument("--sha256", help="expected SHA-256 of the archive (overrides the built-in table)")
    p.add_argument("--unpinned", action="store_true",
                   help="accept a model with no known checksum after a size check (prints its SHA-256)")
    p.add_argument("--base-url", help="mirror URL (default: HOTLINE_MODEL_BASE_URL or Vosk's site)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_models_download)

    p = msub.add_parser("recognize", help="recognise a WAV file through the 8 kHz streaming path")
    p.add_argument("wav", type=Path)
    p.add_argument("--grammar", help="comma-separated phrases to restrict recognition to")
    p.set_defaults(func=cmd_models_recognize)

    psub = _command_group(sub, "prompts", "the robot's voice: pre-rendered prompts")

    if prompt_texts is not None:
        p = psub.add_parser("build", help="render every fixed prompt at the normal and the slow rate")
        p.set_defaults(func=cmd_prompts_build, prompt_texts=prompt_texts)

    p = psub.add_parser("say", help="render one sentence to an 8 kHz WAV file")
    p.add_argument("text")
    p.add_argument("-o", "--out", type=Path, required=True)
    p.add_argument("--slow", action="store_true", help="the slow rate (HOTLINE_TTS_SLOW_RATE)")
    p.set_defaults(func=cmd_prompts_say)

    p = psub.add_parser("phonemes", help="print espeak-ng's phoneme mnemonics for TEXT as the robot says it "
                                         "(' marks the stressed vowel)")
    p.add_argument("text")
    p.add_argument("--text", dest="show_text", action="store_true",
                   help="also print the text given to espeak-ng (after normalisation and the lexicon)")
    p.set_defaults(func=cmd_prompts_phonemes)


def _command_group(sub: Subcommands, name: str, help: str) -> Subcommands:
    """`hotline NAME ACTION ...`: a command whose actions are required subcommands."""
    actions: Subcommands = sub.add_parser(name, help=help).add_subparsers(
        dest=f"{name}_command", metavar="ACTION"
    )
    actions.required = True
    return actions


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def cmd_models_list(args: argparse.Namespace, settings: SpeechSettings) -> int:
    from speech.models import CATALOGUE, NO_MODEL_MESSAGE, installed_models

    models = installed_models(settings.models_dir)
    print(f"models directory: {settings.models_dir}")
    if settings.vosk_model:
        print(f"HOTLINE_VOSK_MODEL: {settings.vosk_model}")
    if not models:
        print(NO_MODEL_MESSAGE)
    for m in models:
        checksum = f"sha256 {m.sha256[:16]}…" if m.sha256 else "not downloaded by hotline"
        grammars = "grammars" if m.grammars else "no grammars (fixed graph)"
        print(f"  {m.name:32} {_size(m.size):>9}  {m.sample_rate} Hz  {grammars}  {checksum}")
    installed = {m.name for m in models}
    print("downloadable:")
    for spec in CATALOGUE.values():
        mark = "installed" if spec.name in installed else _size(spec.size)
        print(f"  {spec.key:9} {spec.name:28} {mark:>9}  {spec.description}")
    return 0


def cmd_models_download(args: argparse.Namespace, settings: SpeechSettings) -> int:
    from tqdm import tqdm

    from speech.models import CATALOGUE, ModelError, download

    spec = CATALOGUE[args.model]
    bar: tqdm | None = None

    def progress(done: int, total: int | None) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, initial=done, unit="B", unit_scale=True, unit_divisor=1024,
                       desc=spec.name, file=sys.stderr)
        bar.update(done - bar.n)

    try:
        path = download(spec, settings.models_dir, base_url=args.base_url or settings.model_base_url,
                        sha256=args.sha256, unpinned=args.unpinned,
                        progress=None if args.no_progress else progress)
    except ModelError as exc:
        if bar is not None:
            bar.close()  # before the message, so it is not interleaved with the bar
            bar = None
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        if bar is not None:
            bar.close()
    print(f"installed {spec.name} in {path}")
    return 0


def cmd_models_recognize(args: argparse.Namespace, settings: SpeechSettings) -> int:
    from speech.asr import load_configured_model
    from speech.audio import frames, read_wav, silence, to_phone
    model = load_configured_model(settings)
    if model is None:
        return 1  # load_configured_model has logged why
    pcm, rate = read_wav(args.wav)
    audio = to_phone(pcm, rate) + silence(1500)

    async def run() -> None:
        rec = model.recognizer()
        if args.grammar:
            rec.set_grammar([w.strip() for w in args.grammar.split(",")])
        for frame in frames(audio):
            result = await rec.feed(frame)
            if result is not None and result.kind == "final":
                print(result.text)
        last = await rec.flush()
        if last.text:
            print(last.text)
        rec.close()

    asyncio.run(run())
    return 0


def _synthesizer(settings: SpeechSettings) -> EspeakSynthesizer:
    from speech.tts import EspeakSynthesizer

    return EspeakSynthesizer.from_settings(settings)


def cmd_prompts_build(args: argparse.Namespace, settings: SpeechSettings) -> int:
    texts = list(args.prompt_texts())
    synth = _synthesizer(settings)
    started = time.perf_counter()
    try:
        for slow in (False, True):
            for text in texts:
                synth.render(text, slow=slow)
    finally:
        synth.close()
    total = 2 * len(texts)
    print(f"prompts: {len(texts)} texts × 2 rates ({settings.tts_rate} and {settings.tts_slow_rate} wpm): "
          f"{synth.rendered} rendered, {total - synth.rendered} already cached, "
          f"{time.perf_counter() - started:.1f} s; cache {settings.tts_cache_dir}")
    return 0


def cmd_prompts_say(args: argparse.Namespace, settings: SpeechSettings) -> int:
    from speech.audio import PHONE_RATE, duration_ms, wav_bytes

    synth = _synthesizer(settings)
    try:
        pcm = synth.render(args.text, slow=args.slow)
    finally:
        synth.close()
    args.out.write_bytes(wav_bytes(pcm, PHONE_RATE))
    print(f"{args.out}: {duration_ms(pcm) / 1000:.2f} s at {PHONE_RATE} Hz")
    return 0


def cmd_prompts_phonemes(args: argparse.Namespace, settings: SpeechSettings) -> int:
    from speech.tts import PhonemeError, normalize_text, phonemes

    if args.show_text:
        print(normalize_text(args.text))
    try:
        print(phonemes(args.text, voice=settings.tts_voice))
    except PhonemeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
