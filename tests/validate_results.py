"""Validate result files against docs/result.schema.json, and check the validator rejects broken ones.

Usage: validate_results.py SCHEMA RESULT_DIR (every *.json under RESULT_DIR must be valid; at least one).
"""
import copy
import json
import pathlib
import sys

import jsonschema


def main():
    schema = json.loads(pathlib.Path(sys.argv[1]).read_text())
    validator = jsonschema.Draft202012Validator(schema)
    # Every JSON file but the trace case's Chrome traces (*.trace.json) is a result.
    files = sorted(f for f in pathlib.Path(sys.argv[2]).rglob("*.json") if not f.name.endswith((".trace.json", ".schedule.json")))
    if not files:
        sys.exit(f"no result files under {sys.argv[2]}")
    for f in files:
        doc = json.loads(f.read_text())
        errors = [e.message for e in validator.iter_errors(doc)]
        if errors:
            sys.exit(f"{f}: {errors}")
        # The schema must catch damage: a missing field, a bad hash, INVALID without a reason.
        for damage in ("drop", "hash", "invalid"):
            bad = copy.deepcopy(doc)
            if damage == "drop":
                del bad["code"]
            elif damage == "hash":
                bad["config_hash"] = "xyz"
            else:
                bad["status"], bad["status_reasons"] = "INVALID", []
            if validator.is_valid(bad):
                sys.exit(f"{f}: the schema accepted a result with damage '{damage}'")
        print(f"valid: {f} ({doc['case']['name']} v{doc['case']['version']}, {doc['status']})")
    print(f"{len(files)} result files valid")


if __name__ == "__main__":
    main()
