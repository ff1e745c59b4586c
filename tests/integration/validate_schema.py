#!/usr/bin/env python3
"""validate_schema.py SCHEMA FILE...: validates each JSON file against the
JSON Schema (draft 2020-12) with python3-jsonschema. Prints one line per
file, "valid FILE" or "invalid FILE: reason". Exit 0 when it could check
every file, 3 when the schema itself is broken, 4 when jsonschema is
missing (install the Debian package python3-jsonschema)."""
import json
import sys

try:
    import jsonschema
except ImportError:
    print("python3-jsonschema is not installed (apt-get install python3-jsonschema)",
          file=sys.stderr)
    sys.exit(4)


def main():
    with open(sys.argv[1]) as f:
        schema = json.load(f)
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.exceptions.SchemaError as e:
        print(f"schema {sys.argv[1]} is not a valid draft 2020-12 schema: {e.message}")
        sys.exit(3)
    validator = jsonschema.Draft202012Validator(schema)
    for path in sys.argv[2:]:
        with open(path) as f:
            try:
                doc = json.load(f)
            except json.JSONDecodeError as e:
                print(f"invalid {path}: JSON: {e}")
                continue
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
        if errors:
            where = "/".join(str(p) for p in errors[0].absolute_path) or "(top)"
            print(f"invalid {path}: {where}: {errors[0].message[:200]}")
        else:
            print(f"valid {path}")


main()
