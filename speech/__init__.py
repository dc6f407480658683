"""Speech: Russian numerals, streaming Vosk recognition, espeak-ng speech at 8 kHz."""
