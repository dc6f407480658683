"""Telephony: AudioSocket server, AMI adapter, Asterisk configs and the test sandbox."""
