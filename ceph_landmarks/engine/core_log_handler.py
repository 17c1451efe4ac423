"""Forwarding the core's log records to the current ``MMLogger``."""
import logging

from mmengine.logging import MMLogger

from ..core.log import get_logger

__all__ = ['MMLoggerHandler', 'forward_core_logs']


class MMLoggerHandler(logging.Handler):
    """Hands each record to ``MMLogger.get_current_instance()``, which is
    what mmengine's ``print_log(..., logger='current')`` writes to: the
    terminal and the Runner's log file."""

    def emit(self, record: logging.LogRecord) -> None:
        """Log the record's message at its level through the MMLogger.

        Args:
            record (logging.LogRecord): A record of the core's logger.
        """
        MMLogger.get_current_instance().log(record.levelno,
                                            record.getMessage())


def forward_core_logs() -> None:
    """Attach one :class:`MMLoggerHandler` to the core's logger (once)."""
    logger = get_logger()
    if not any(isinstance(h, MMLoggerHandler) for h in logger.handlers):
        logger.addHandler(MMLoggerHandler())
