"""What speech reads from the environment: models, the voice and its cache (HOTLINE_* variables).

Why its own class: `hotline models …` and `hotline prompts …` need only this, and the speech
package must not know the rest of the hotline; `ivr.settings.Settings` composes it with the others.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class SpeechSettings(BaseSettings):
    """The speech part of the environment; `SpeechSettings()` reads it, keyword arguments override."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_", env_ignore_empty=True, frozen=True)

    data_dir: Path = Path("var")
    models_dir: Path = Path("var/models")  # default: data_dir/models
    vosk_model: str | None = None
    # Where `hotline models download` fetches archives (None: Vosk's site; a mirror or a test server).
    model_base_url: str | None = None
    tts_voice: str = "ru"
    tts_rate: int = 140
    # Words per minute when a caller asked the robot to speak slowly.
    tts_slow_rate: int = 110
    tts_cache_dir: Path = Path("var/tts-cache")  # default: data_dir/tts-cache
    # Free-speech recognisers (speech.asr): how many are warmed at start (a cold one answers its
    # first caller seconds late), and how many idle ones are kept (≈ 55 MB each when warm).
    asr_prewarm: int = Field(default=2, ge=0)
    asr_idle_free: int = Field(default=16, ge=0)
    # Render processes (speech.tts_pool): how many new sentences render at once; None: one per core.
    tts_workers: int | None = Field(default=None, ge=1)

    @field_validator("data_dir")
    @classmethod
    def _absolute_data_dir(cls, value: Path) -> Path:
        return value.absolute()

    @model_validator(mode="before")
    @classmethod
    def _speech_defaults(cls, data: Any) -> Any:
        """Models and rendered prompts default to folders in the data directory."""
        if isinstance(data, dict):
            folder = Path(data.get("data_dir") or "var").absolute()
            data = {
                **data,
                "models_dir": data.get("models_dir") or folder / "models",
                "tts_cache_dir": data.get("tts_cache_dir") or folder / "tts-cache",
            }
        return data
