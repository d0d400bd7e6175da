"""Every table that refers to a person is answered for twice: by subject access (the person gets
its rows) and by retention (it is anonymised, or kept on purpose with a reason).

The list of such tables comes from the models themselves (`db.metadata`), so a new model with a
foreign key to people.id fails here, naming table and column, until both
`lms.people.subject_access` and `lms.people.retention` declare what they do with it.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Column, ForeignKey, Integer, MetaData, Table

import lms.models  # noqa: F401 - registers every model on db.metadata
from lms.extensions import db
from lms.people import retention, subject_access

Declared = Mapping[str, object]  # table -> its columns (a tuple of names, or a dict name -> reason)


def person_columns(metadata: MetaData) -> set[tuple[str, str]]:
    """(table, column) of every foreign key to people.id."""
    return {(table.name, column.name) for table in metadata.tables.values() for column in table.columns
            for fk in column.foreign_keys if fk.column.table.name == "people" and fk.column.name == "id"}


def missing(metadata: MetaData, *maps: Declared) -> list[str]:
    """The person columns none of `maps` names, as "table.column"."""
    declared = {(table, column) for m in maps for table, columns in m.items() for column in columns}
    return sorted(f"{table}.{column}" for table, column in person_columns(metadata) - declared)


def unreal(metadata: MetaData, *maps: Declared) -> list[str]:
    """What the maps name that is not a table and column of the models."""
    return sorted(f"{table}.{column}" for m in maps for table, columns in m.items() for column in columns
                  if table not in metadata.tables or column not in metadata.tables[table].columns)


def test_the_models_do_refer_to_people():
    found = person_columns(db.metadata)
    assert ("attempts", "person_id") in found and ("requests", "requester_id") in found, found


def test_every_table_referring_to_a_person_is_in_the_subject_access_export():
    gaps = missing(db.metadata, subject_access.COVERED, subject_access.NOT_SEARCHED)
    assert not gaps, ("subject access does not export (or explain leaving out) these columns referring to people; "
                      f"add them to COVERED in lms/people/subject_access.py and export their rows: {gaps}")


def test_every_table_referring_to_a_person_is_anonymised_or_kept_on_purpose():
    gaps = missing(db.metadata, retention.ANONYMISED, retention.KEPT)
    assert not gaps, ("retention neither anonymises nor deliberately keeps these columns referring to people; "
                      f"add them to ANONYMISED (and clear them) or KEPT (with why) in lms/people/retention.py: {gaps}")


def test_the_maps_name_only_real_tables_and_columns():
    maps = (subject_access.COVERED, subject_access.NOT_SEARCHED, retention.ANONYMISED, retention.KEPT)
    assert unreal(db.metadata, *maps) == []


def test_each_column_is_declared_once_and_every_exception_says_why():
    for first, second in ((subject_access.COVERED, subject_access.NOT_SEARCHED), (retention.ANONYMISED, retention.KEPT)):
        both = [f"{t}.{c}" for t, columns in first.items() for c in columns if c in second.get(t, {})]
        assert both == [], both
    for m in (subject_access.NOT_SEARCHED, retention.ANONYMISED, retention.KEPT):
        for table, reasons in m.items():
            for column, reason in reasons.items():
                assert reason.strip() and "\n" not in reason, f"{table}.{column}: one line saying why"


def test_a_new_table_referring_to_people_is_caught():
    """The check itself: a throwaway copy of the models plus one new table with a person column fails it."""
    metadata = MetaData()
    for table in db.metadata.tables.values():
        table.to_metadata(metadata)
    Table("sick_notes", metadata, Column("id", Integer, primary_key=True),
          Column("person_id", ForeignKey("people.id")), Column("note", Integer))
    assert missing(metadata, subject_access.COVERED, subject_access.NOT_SEARCHED) == ["sick_notes.person_id"]
    assert missing(metadata, retention.ANONYMISED, retention.KEPT) == ["sick_notes.person_id"]
