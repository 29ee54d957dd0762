"""Helpers on the composed YAML node tree, shared by the reader and the
checks: where a node is (line, key path) and whether it is plain text."""

from __future__ import annotations

from yaml.nodes import MappingNode, Node, ScalarNode

from certification.catalogue.schema import MAX_QUOTED_LENGTH

# The tag YAML gives an unquoted word or a quoted string; anything else (a
# number, a date, true) resolved to another type and is not a text.
STR_TAG = "tag:yaml.org,2002:str"


def is_text(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == STR_TAG


def quoted(value: str) -> str:
    """A value as a message may quote it: a long one cut, so that a file of
    megabytes does not come back as a message of megabytes."""
    if len(value) <= MAX_QUOTED_LENGTH:
        return value
    return value[: MAX_QUOTED_LENGTH - 1] + "…"


def line(node: Node) -> int:
    """The 1-based line a person sees in an editor."""
    return node.start_mark.line + 1


def join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def list_entry_path(path: str, index: int, node: Node) -> str:
    """Name a list entry by its code where it has one, else by its position
    (1-based, as a person counts), e.g. areas[4B].criteria[4B1] or areas[#3]."""
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            if (
                isinstance(key_node, ScalarNode)
                and key_node.value == "code"
                and is_text(value_node)
                and value_node.value.strip()
                and len(value_node.value) <= MAX_QUOTED_LENGTH
            ):
                return f"{path}[{value_node.value.strip()}]"
    return f"{path}[#{index}]"
