"""Read YAML keeping the line of every key, so problems can name the line they are on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml


class LineDict(dict):
    """A mapping that remembers where it and each of its values start (1-based lines)."""

    line: int = 0
    key_lines: dict[str, int]


@dataclass
class ParseResult:
    data: Any = None
    error_line: int | None = None
    error: str | None = None
    duplicates: list[tuple[int, str]] = field(default_factory=list)


def parse(text: str) -> ParseResult:
    """Parse one YAML document; report a syntax error with its line instead of raising."""
    result = ParseResult()

    class Loader(yaml.SafeLoader):
        pass

    def construct_mapping(loader: Loader, node: yaml.MappingNode) -> LineDict:
        loader.flatten_mapping(node)
        mapping = LineDict()
        mapping.line = node.start_mark.line + 1
        mapping.key_lines = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                key = str(key)
            if key in mapping:
                result.duplicates.append((key_node.start_mark.line + 1, key))
            mapping[key] = loader.construct_object(value_node, deep=True)
            mapping.key_lines[key] = key_node.start_mark.line + 1
        return mapping

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    try:
        result.data = yaml.load(text, Loader=Loader)  # noqa: S506 - SafeLoader subclass  # nosec B506
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        result.error_line = mark.line + 1 if mark else 1
        result.error = f"YAML syntax: {exc.problem or exc.context}"
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow, by offset
        result.error_line = text.count("\n", 0, exc.position) + 1
        result.error = f"YAML syntax: unacceptable character #x{exc.character:04X}" if isinstance(
            exc.character, int) else f"YAML syntax: {exc.reason}"
    except yaml.YAMLError as exc:
        result.error_line = 1
        result.error = f"YAML syntax: {exc}"
    except RecursionError:  # PyYAML recurses once per level: "[[[[…" hundreds deep exhausts the stack
        result.error_line = 1
        result.error = "YAML syntax: lists or mappings nested too deeply"
    return result
