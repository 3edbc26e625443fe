"""Check a JSON response against an operation's output shape in botocore's service model:
every required member present, no member the shape does not declare, every type right
(timestamps as JSON numbers, enums from their value set)."""

from __future__ import annotations

from typing import Any

import botocore.session

SHAPES = botocore.session.get_session().get_service_model("cognito-idp")


def check_output(operation: Any, body: Any) -> list[str]:
    shape = operation.output_shape
    if shape is None:
        return [] if body == {} else [f"{operation.name}: expected {{}}, got {body!r}"]
    return _check(shape, body, operation.name)


def _check(shape: Any, value: Any, path: str) -> list[str]:
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{path}: expected an object"]
        problems = [f"{path}.{m}: required, missing" for m in shape.required_members
                    if m not in value]
        for name, member in value.items():
            if name not in shape.members:
                problems.append(f"{path}.{name}: not in the model")
            else:
                problems += _check(shape.members[name], member, f"{path}.{name}")
        return problems
    if kind == "list":
        if not isinstance(value, list):
            return [f"{path}: expected a list"]
        return [
            p for i, item in enumerate(value) for p in _check(shape.member, item, f"{path}[{i}]")
        ]
    if kind == "map":
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            return [f"{path}: expected a map"]
        return [p for k, v in value.items() for p in _check(shape.value, v, f"{path}[{k}]")]
    ok = {
        "string": lambda v: isinstance(v, str) and (not shape.enum or v in shape.enum),
        "boolean": lambda v: isinstance(v, bool),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "long": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "timestamp": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "double": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "blob": lambda v: isinstance(v, str),
    }[kind]
    return [] if ok(value) else [f"{path}: {value!r} is not a valid {kind} ({shape.name})"]
