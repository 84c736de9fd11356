"""Shared pieces of the `portal` subcommands."""

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError


def one_line(error: ValidationError) -> CommandError:
    """A model validation error as the one line a command prints before exiting."""
    if hasattr(error, "message_dict"):
        parts = [
            f"{field}: {' '.join(messages)}"
            if field != "__all__"
            else " ".join(messages)
            for field, messages in error.message_dict.items()
        ]
    else:
        parts = list(error.messages)
    return CommandError("; ".join(part.rstrip(".") for part in parts))
