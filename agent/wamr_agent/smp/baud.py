"""Serial rates, apart from the streams so that the CLI's options can name them
without importing pyserial."""

from __future__ import annotations

DEFAULT_BAUDRATE = 115200
MAX_BAUDRATE = 0x7FFFFFFF  # termios takes a custom rate as a C int
