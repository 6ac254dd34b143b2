"""Pages of rows for the API's lists: a filtered, ordered window and the total count."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, select


def like_pattern(text: str) -> str:
    escaped = text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def contains(column: Any, text: str) -> ColumnElement[bool]:
    return func.lower(column).like(like_pattern(text), escape="\\")


def page_of(*, session: Session, model: Any, conditions: list[ColumnElement[bool]],
          order: list[Any], offset: int, first: int) -> tuple[list[Any], int]:
    rows = session.exec(select(model).where(*conditions).order_by(*order)
                        .offset(offset).limit(first + 1)).all()
    total = session.exec(select(func.count()).select_from(model).where(*conditions)).one()
    return list(rows), int(total)
