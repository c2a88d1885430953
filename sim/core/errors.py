"""The two errors users see, bad configuration and bad data; each names the key or row to fix."""


class ConfigError(ValueError):
    """A configuration value is missing, unknown or out of range.

    The message names the dotted key (e.g. ``shocks.illness.p_acute``), the bad value and the fix.
    """


class DataError(ValueError):
    """A household register is malformed; the message names the column and the first bad rows."""
