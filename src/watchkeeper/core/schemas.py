"""What every app's API schemas share: integers the database can hold, bodies that are objects
of the types the document names, dates and times in range, and the one error shape.

An integer the database cannot store used to reach the insert and fail there (a 500); bounding
each integer input by its column turns that into a 400 that names the field and the limit, and
the OpenAPI document tells clients the range up front.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    ConfigDict,
    ModelWrapValidatorHandler,
    Strict,
    ValidationInfo,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

INT_MAX = 2**31 - 1  # Django's IntegerField and PositiveIntegerField, on every database
ID_MAX = 2**63 - 1  # BigAutoField primary keys

# A row's id, in a path, a query or a body.
Id = Annotated[int, Field(ge=1, le=ID_MAX)]
# An IntegerField.
Int = Annotated[int, Field(ge=-INT_MAX - 1, le=INT_MAX)]
# A PositiveIntegerField: counts, positions.
Count = Annotated[int, Field(ge=0, le=INT_MAX)]

# Dates and times people schedule things at. Far enough either way for any plan; near enough
# that converting to UTC, adding a shift or walking a rotation from the start never leaves
# the years Python and the databases hold (year 1 at +14:00 used to be an OverflowError).
EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(3000, 1, 1, tzinfo=dt.UTC)


def _text(value: Any) -> Any:
    """Dates and times come as JSON strings; a number is not one (lax parsing reads 0 as 1970).
    Python's own dates and times (a row being serialised) pass."""
    if not isinstance(value, str | dt.date | dt.time):
        raise PydanticCustomError("string_type", "Input should be a string")
    return value


def _moment_in_range(value: dt.datetime) -> dt.datetime:
    if not EARLIEST <= value < LATEST:
        raise PydanticCustomError(
            "datetime_range", "Input should be between {earliest} and {latest}",
            {"earliest": EARLIEST.date().isoformat(), "latest": LATEST.date().isoformat()},
        )  # fmt: skip
    return value


def _day_in_range(value: dt.date) -> dt.date:
    if not EARLIEST.date() <= value < LATEST.date():
        raise PydanticCustomError(
            "date_range", "Input should be between {earliest} and {latest}",
            {"earliest": EARLIEST.date().isoformat(), "latest": LATEST.date().isoformat()},
        )  # fmt: skip
    return value


def _local(value: dt.time) -> dt.time:
    if value.tzinfo is not None:
        raise PydanticCustomError("local_time", "Input should be a local time without a zone, e.g. 09:00")
    return value


# `Strict(False)`: parsed from their strings, in bodies that are otherwise strict (InputSchema).
# An ISO 8601 time with its offset (naive times would be read in the server's zone).
DateTime = Annotated[AwareDatetime, Strict(False), BeforeValidator(_text), AfterValidator(_moment_in_range)]
Date = Annotated[dt.date, Strict(False), BeforeValidator(_text), AfterValidator(_day_in_range)]
# A local wall-clock time without a zone ("09:00", "17:30:00"): the zone is the schedule's or
# the layer's. JSON Schema's `format: time` means an RFC 3339 time *with* an offset, which
# neither what the API returns nor what it accepts is.
LOCAL_TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$"
LocalTime = Annotated[
    dt.time,
    Strict(False),
    BeforeValidator(_text),
    AfterValidator(_local),
    WithJsonSchema({"type": "string", "pattern": LOCAL_TIME_PATTERN, "description": "Local time HH:MM[:SS]"}),
]


class InputSchema(Schema):
    """The base of every request body: an object whose values have the JSON types the document
    names (strict: `0` is no boolean, `false` no number, `0` no date).

    ninja's `Schema` reads its fields as attributes of whatever it is given (that is how it
    serialises model rows), so a body of `false`, `-1` or `"x"` would pass as an object whose
    fields all take their defaults, and a PUT or PATCH of it would apply those defaults."""

    model_config = ConfigDict(strict=True)

    @model_validator(mode="wrap")
    @classmethod
    def _an_object(cls, value: Any, handler: ModelWrapValidatorHandler[Any], info: ValidationInfo) -> Any:
        if not isinstance(value, dict | cls):
            raise PydanticCustomError("object_type", "Input should be a JSON object")
        return handler(value)


class FieldProblemOut(Schema):
    field: str = Field(description="The field at fault, dotted for nested ones; empty: the body")
    message: str


class ErrorOut(Schema):
    """Every error the API answers, whatever its status."""

    detail: str = Field(description="What went wrong, in a sentence a person can act on")
    field: str | None = Field(None, description="The one field at fault, when there is one")
    errors: list[FieldProblemOut] | None = Field(
        None, description="Each problem, when the request does not match the schema (400)"
    )
