"""Imported by the forkserver of `hotline serve --workers N --shared-model`, and nowhere else.

Why a module whose import loads a model: multiprocessing's forkserver imports its preload modules
once and forks every worker from itself, so the Vosk model loaded here (≈ 0.5 GB) is in each
worker's memory without being loaded again — shared copy-on-write, as Kaldi never writes to a
loaded model (each recogniser's graph cache is its own). `load_configured_model` keeps it in
`speech.asr`'s per-process table, where the worker's own start-up finds it.
"""

from __future__ import annotations

from ivr.settings import Settings
from speech.asr import SpeechModel, load_configured_model

MODEL: SpeechModel | None = load_configured_model(Settings.from_env())
