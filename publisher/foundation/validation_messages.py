"""pydantic's validation messages in the office's language: the error's type picks a message from the catalogue.

pydantic words its errors in English only; in English they are shown as pydantic wrote them.
"""

from __future__ import annotations

from typing import Any

from publisher.foundation.i18n import ENGLISH, N_, _, language

VALUE_ERROR = "Value error, "
MESSAGES = {
    "missing": N_("required"),
    "extra_forbidden": N_("unknown key"),
    "string_type": N_("must be text"),
    "string_too_short": N_("at least {min_length} character(s)"),
    "string_too_long": N_("at most {max_length} character(s)"),
    "string_pattern_mismatch": N_("must match the pattern {pattern}"),
    "too_short": N_("at least {min_length} entries"),
    "too_long": N_("at most {max_length} entries"),
    "int_type": N_("must be a whole number"),
    "int_parsing": N_("must be a whole number"),
    "int_from_float": N_("must be a whole number"),
    "float_type": N_("must be a number"),
    "float_parsing": N_("must be a number"),
    "finite_number": N_("must be a finite number"),
    "bool_type": N_("must be true or false"),
    "bool_parsing": N_("must be true or false"),
    "greater_than": N_("must be greater than {gt}"),
    "greater_than_equal": N_("must be at least {ge}"),
    "less_than": N_("must be less than {lt}"),
    "less_than_equal": N_("must be at most {le}"),
    "literal_error": N_("must be one of {expected}"),
    "enum": N_("must be one of {expected}"),
    "dict_type": N_("must be a mapping (key: value)"),
    "mapping_type": N_("must be a mapping (key: value)"),
    "model_type": N_("must be a mapping (key: value)"),
    "model_attributes_type": N_("must be a mapping (key: value)"),
    "list_type": N_("must be a list"),
    "date_type": N_("must be a date (YYYY-MM-DD)"),
    "date_parsing": N_("must be a date (YYYY-MM-DD)"),
    "date_from_datetime_parsing": N_("must be a date (YYYY-MM-DD)"),
    "datetime_type": N_("must be a time (e.g. 2019-03-10T09:00)"),
    "datetime_parsing": N_("must be a time (e.g. 2019-03-10T09:00)"),
    "datetime_from_date_parsing": N_("must be a time (e.g. 2019-03-10T09:00)"),
    "time_parsing": N_("must be a time of day (HH:MM)"),
    "timezone_aware": N_("needs a time zone offset (e.g. +08:00)"),
    "url_type": N_("must be a URL"),
    "url_parsing": N_("must be a URL"),
    "url_scheme": N_("must be a URL starting with {expected_schemes}"),
    "json_invalid": N_("is not valid JSON"),
    "none_required": N_("must be empty"),
}


def validation_message(error: dict[str, Any]) -> str:
    """The message of one pydantic error (an item of ``ValidationError.errors()``) in the current language.

    A ``ValueError`` raised by our own validators is already translated: it is shown without pydantic's
    "Value error, " prefix.
    """
    text = error.get("msg", "")
    if error.get("type") == "value_error":
        return text.removeprefix(VALUE_ERROR)
    template = MESSAGES.get(error.get("type", ""))
    if language() == ENGLISH or template is None:
        return text
    try:
        return _(template).format(**(error.get("ctx") or {}))
    except (KeyError, IndexError, ValueError):
        return text
