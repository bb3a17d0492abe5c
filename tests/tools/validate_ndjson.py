#!/usr/bin/python3
"""validate_ndjson.py: check scope's NDJSON against the AppScope schemas.

usage: validate_ndjson.py [--schemas DIR] [--extensions DIR] [--allow-empty]
                         [--self-test] FILE...

Every non-empty line must be a JSON object that validates against the schema
AppScope documents for it:
  metric              -> metric_<body._metric, '.' -> '_'>.schema.json
  evt, console        -> event_console.schema.json
  evt, file           -> event_file.schema.json
  evt, source notice  -> event_notice.schema.json
  evt, other          -> event_<body.source, '.' -> '_'>.schema.json
                         (fs/net/dns/http events, and metrics sent as
                         events with sourcetype "metric")
  no type, has info   -> event_start_msg.schema.json (process-start message)
A line without a schema (unknown metric or event) is invalid, not skipped.

--extensions DIR adds scope's own schemas (metrics and events AppScope does
not have, such as the crash backtrace, event_backtrace.schema.json, or the
distributions of durations, metric_scope_fs_duration.schema.json); they are
looked up the same way. The default is tests/tools/scope-schemas: they are
part of what scope writes.

Prints one "FILE:LINE: reason" per invalid line, then "N lines valid, M
invalid". Exits 1 if any line is invalid, a file cannot be read, or no line
was checked at all (unless --allow-empty): a validator that checked nothing
proves nothing.

--self-test also runs every schema's own "examples" (real AppScope output)
through the same dispatch and validation: each must pass and land on the
schema it came from, which tests the dispatch above and the $ref resolution.

Runs offline with Debian's python3-jsonschema (4.10): every $ref is resolved
from the schema folder, never fetched.
"""

import argparse
import json
import os
import re
import sys

import jsonschema
from jsonschema.exceptions import RefResolutionError, best_match

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SCHEMAS = os.path.normpath(
    os.path.join(HERE, "..", "..", "..", "shared", "appscope-schemas"))
DEFAULT_EXTENSIONS = os.path.join(HERE, "scope-schemas")

# definitions/data.schema.json has trailing commas (see the schemas' README)
TRAILING_COMMA = re.compile(r",\s*([}\]])")


class Invalid(Exception):
    """A line that does not pass; the message is the reason printed."""


class OfflineResolver(jsonschema.RefResolver):
    """Resolves $refs from the loaded schemas only: a miss is a broken
    schema folder, and going to the network would hide it."""

    def resolve_remote(self, uri):
        raise RefResolutionError(f"{uri} is not among the loaded schemas")


def load_schemas(schema_dir):
    """Returns ({name: schema}, store) for every *.schema.json in schema_dir
    and its subfolders. The store, which the resolver consults, knows each
    schema by its $id, by its path relative to schema_dir and by file URI,
    so relative $refs resolve whichever base they are taken against."""
    schemas, store = {}, {}
    for root, _, files in os.walk(schema_dir):
        for fname in sorted(files):
            if not fname.endswith(".schema.json"):
                continue
            path = os.path.join(root, fname)
            with open(path, encoding="utf-8") as f:
                text = TRAILING_COMMA.sub(r"\1", f.read())
            try:
                schema = json.loads(text)
            except ValueError as e:
                sys.exit(f"{path}: not JSON: {e}")
            rel = os.path.relpath(path, schema_dir).replace(os.sep, "/")
            store[rel] = schema
            store["file://" + os.path.abspath(path)] = schema
            if "$id" in schema:
                store[schema["$id"]] = schema
            if root == schema_dir:
                schemas[fname[:-len(".schema.json")]] = schema
    if not schemas:
        sys.exit(f"{schema_dir}: no *.schema.json files")
    return schemas, store


def reject_constant(name):
    raise ValueError(f"{name} is not JSON")


def parse_line(raw):
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Invalid(f"not UTF-8: {e}")
    try:
        obj = json.loads(text, parse_constant=reject_constant)
    except ValueError as e:
        raise Invalid(f"not JSON: {e}")
    if not isinstance(obj, dict):
        raise Invalid("not a JSON object")
    return obj


def dotted_schema(prefix, name, what):
    if not isinstance(name, str) or not name:
        raise Invalid(f"{what} has no name")
    return prefix + name.replace(".", "_"), f"unknown {what} {name!r}"


def schema_for(obj):
    """(schema name, message if there is no such schema) for one line."""
    kind = obj.get("type")
    body = obj.get("body")
    if kind is None and "info" in obj:
        return "event_start_msg", "unknown start message"
    if kind not in ("metric", "evt"):
        raise Invalid(f"unknown type {kind!r}")
    if not isinstance(body, dict):
        raise Invalid(f"{kind} without a body object")
    if kind == "metric":
        return dotted_schema("metric_", body.get("_metric"), "metric")
    sourcetype, source = body.get("sourcetype"), body.get("source")
    if sourcetype in ("console", "file"):
        return f"event_{sourcetype}", None
    if source == "notice":
        return "event_notice", None
    return dotted_schema("event_", source, "event")


def error_text(err):
    where = "/".join(str(p) for p in err.absolute_path) or "(root)"
    return f"{where}: {err.message}"


class Checker:
    def __init__(self, schema_dir, extension_dir=None):
        self.schemas, self.store = load_schemas(schema_dir)
        if extension_dir:
            extra, extra_store = load_schemas(extension_dir)
            self.schemas.update(extra)
            self.store.update(extra_store)
        self.validators = {}

    def validator(self, name):
        if name not in self.validators:
            schema = self.schemas[name]
            resolver = OfflineResolver(schema.get("$id", ""), schema,
                                       store=self.store)
            self.validators[name] = jsonschema.Draft7Validator(
                schema, resolver=resolver)
        return self.validators[name]

    def check(self, obj):
        """Validates one parsed line; returns the name of its schema."""
        name, unknown = schema_for(obj)
        if name not in self.schemas:
            raise Invalid(f"{unknown} (no {name}.schema.json)")
        try:
            err = best_match(self.validator(name).iter_errors(obj))
        except RefResolutionError as e:
            raise Invalid(f"{name}: {e}")
        if err is not None:
            raise Invalid(f"{name}: {error_text(err)}")
        return name


def check_file(checker, path):
    """Returns (valid, invalid) line counts; prints each invalid line."""
    valid = invalid = 0
    try:
        with open(path, "rb") as f:
            lines = f.read().split(b"\n")
    except OSError as e:
        print(f"{path}: cannot read: {e.strerror}")
        return 0, 1
    for num, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            checker.check(parse_line(raw))
            valid += 1
        except Invalid as e:
            print(f"{path}:{num}: {e}")
            invalid += 1
    return valid, invalid


def check_examples(checker):
    """--self-test: (valid, invalid) over all the schemas' examples."""
    valid = invalid = 0
    for name, schema in sorted(checker.schemas.items()):
        for num, example in enumerate(schema.get("examples", []), 1):
            try:
                got = checker.check(example)
                if got != name:
                    raise Invalid(f"dispatched to {got}")
                valid += 1
            except Invalid as e:
                print(f"{name}.schema.json example {num}: {e}")
                invalid += 1
    return valid, invalid


def main():
    ap = argparse.ArgumentParser(
        description="Validate NDJSON lines against the AppScope schemas.")
    ap.add_argument("--schemas", default=DEFAULT_SCHEMAS, metavar="DIR",
                    help=f"schema folder (default: {DEFAULT_SCHEMAS})")
    ap.add_argument("--extensions", default=DEFAULT_EXTENSIONS, metavar="DIR",
                    help=f"also load scope's own schemas from DIR (default: {DEFAULT_EXTENSIONS})")
    ap.add_argument("--allow-empty", action="store_true",
                    help="succeed even if no line was checked")
    ap.add_argument("--self-test", action="store_true",
                    help="also validate the schemas' own examples")
    ap.add_argument("files", nargs="*", metavar="FILE")
    args = ap.parse_args()
    if not args.files and not args.self_test:
        ap.error("no FILE given")

    checker = Checker(os.path.abspath(args.schemas),
                      args.extensions and os.path.abspath(args.extensions))
    valid = invalid = 0
    if args.self_test:
        valid, invalid = check_examples(checker)
    for path in args.files:
        v, i = check_file(checker, path)
        valid += v
        invalid += i
    print(f"{valid} lines valid, {invalid} invalid")
    if invalid or (valid == 0 and not args.allow_empty):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
