"""The hotline's wiring: settings, the `hotline` CLI, and one CallSession per call."""
