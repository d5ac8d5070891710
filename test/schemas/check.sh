#!/bin/sh
# Checks schemas/ with a validator independent of ours, Debian's
# python3-jsonschema (Draft202012Validator), and prints TAP:
#  - every schema against the draft 2020-12 metaschema, $id = file name,
#    and listed in schemas/README;
#  - every example under test/schemas/valid passes and every one under
#    test/schemas/invalid fails (each is a whole event, checked as
#    schema_set_check_event does: envelope, then data by type), so that
#    test/unit/schema.c and this agree on every example;
#  - the single CloudEvents examples of the conformance set (each element
#    of the batch ones) pass the envelope;
#  - with DIR, every line of every *.ndjson file under DIR is a valid event.
#
# usage: check.sh [DIR]
# TEND_CONFORMANCE overrides ../shared/conformance.  Exits 0 when all pass.
set -eu
LC_ALL=C
export LC_ALL
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
conf=${TEND_CONFORMANCE:-$root/../shared/conformance}
dir=${1:-}
if [ -n "$dir" ] && [ ! -d "$dir" ]; then
	echo "check.sh: '$dir' is not a directory" >&2
	exit 2
fi

# /usr/bin/python3, not a python first on PATH (pyenv): Debian's is the
# one python3-jsonschema is installed for.
exec /usr/bin/python3 - "$root" "$conf" "$dir" <<'EOF'
import calendar
import glob
import json
import os
import re
import sys
import warnings

try:
    from jsonschema import Draft202012Validator, FormatChecker, RefResolver
except ImportError:
    print("Bail out! python3-jsonschema is not installed")
    sys.exit(1)

# RefResolver is deprecated from jsonschema 4.18 on, still there.
warnings.simplefilter("ignore", DeprecationWarning)

root, conf, ndir = sys.argv[1:4]
results = []


def tap(ok, what, diag=()):
    results.append((ok, what, list(diag)))


# RFC 3339 section 5.6, written here from the RFC rather than shared with
# the C code, so the two can disagree.  python3-jsonschema checks
# date-time only with rfc3339-validator, which Debian does not package.
DT = re.compile(r"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(\.\d+)?"
                r"(?:[Zz]|([+-])(\d\d):(\d\d))", re.ASCII)


def date_time(s):
    if not isinstance(s, str):
        return True
    m = DT.fullmatch(s)
    if m is None:
        return False
    y, mo, d, hh, mi, ss = (int(m.group(i)) for i in range(1, 7))
    sign = {None: 0, "+": 1, "-": -1}[m.group(8)]
    oh = int(m.group(9) or 0)
    om = int(m.group(10) or 0)
    if not 1 <= mo <= 12 or hh > 23 or mi > 59 or ss > 60:
        return False
    mdays = [31, 29 if calendar.isleap(y) else 28, 31, 30, 31, 30, 31, 31,
             30, 31, 30, 31]
    if not 1 <= d <= mdays[mo - 1] or oh > 23 or om > 59:
        return False
    if ss == 60 and (hh * 60 + mi - sign * (oh * 60 + om)) % 1440 != 1439:
        return False
    return True


fc = FormatChecker()
fc.checks("date-time")(date_time)

schemas = {}
for path in sorted(glob.glob(os.path.join(root, "schemas", "*.json"))):
    with open(path, encoding="utf-8") as f:
        schemas[os.path.basename(path)] = json.load(f)

meta = Draft202012Validator(Draft202012Validator.META_SCHEMA,
                            format_checker=FormatChecker())
for name, s in schemas.items():
    errs = [e.message for e in meta.iter_errors(s)]
    if s.get("$id") != name:
        errs.append("$id is not the file name")
    tap(not errs, "schema %s is valid draft 2020-12" % name, errs)


listed = set()
readme = os.path.join(root, "schemas", "README")
if os.path.exists(readme):
    with open(readme, encoding="utf-8") as f:
        listed = {w[0] for w in map(str.split, f) if w and
                  w[0].endswith(".json")}
tap(set(schemas) <= listed, "schemas/README lists every schema",
    sorted(set(schemas) - listed))


def validator(name):
    s = schemas[name]
    return Draft202012Validator(
        s, resolver=RefResolver.from_schema(s, store=dict(schemas)),
        format_checker=fc)


validators = {name: validator(name) for name in schemas}


def first_error(v, inst, prefix=""):
    for e in sorted(v.iter_errors(inst), key=lambda e: list(e.path)):
        loc = "".join("/" + str(p).replace("~", "~0").replace("/", "~1")
                      for p in e.path)
        return "%s: %s" % (prefix + loc or "/", e.message)
    return None


def check_event(e):
    """None when e is a valid event, else why not."""
    why = first_error(validators["envelope.v1.json"], e)
    if why is not None or not e["type"].startswith("tend."):
        return why
    name = e["type"] + ".v1.json"
    if name not in validators:
        return "/type: unknown event type '%s'" % e["type"]
    if "data" not in e:
        return "/data: required property missing"
    return first_error(validators[name], e["data"], "/data")


def no_constant(c):
    raise ValueError("%s is not JSON" % c)


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f, parse_constant=no_constant)


for name in schemas:
    for kind in ("valid", "invalid"):
        path = os.path.join(root, "test", "schemas", kind, name)
        what = "%s example of %s" % (kind, name)
        if not os.path.exists(path):
            tap(False, what, ["missing: " + path])
            continue
        e = load(path)
        if name == "envelope.v1.json" or name.startswith("tend."):
            why = check_event(e)
        else:   # a file format (rules, policy), not an event
            why = first_error(validators[name], e)
        diag = []
        if name.startswith("tend.") and e.get("type") + ".v1.json" != name:
            diag.append("its type is not " + name[:-len(".v1.json")])
        if kind == "valid" and why is not None:
            diag.append(why)
        if kind == "invalid":
            if why is None:
                diag.append("passes, but should fail")
            else:
                what += " fails (%s)" % why
        tap(not diag, what, diag)

orphans = [os.path.relpath(p, root) for p in sorted(
    glob.glob(os.path.join(root, "test", "schemas", "*valid", "*")))
    if os.path.basename(p) not in schemas]
tap(not orphans, "every example names a schema", orphans)

ce = sorted(glob.glob(os.path.join(conf, "cloudevents", "examples", "*.json")))
if not ce:
    tap(True, "# SKIP no CloudEvents examples in " + conf)
for path in ce:
    doc = load(path)
    events = doc if isinstance(doc, list) else [doc]
    errs = [why for why in map(check_event, events) if why is not None]
    tap(not errs, "CloudEvents %s passes the envelope (%d event%s)" % (
        os.path.basename(path), len(events), "" if len(events) == 1 else "s"),
        errs)

files = []
if ndir:
    for d, _, names in os.walk(ndir):
        files += [os.path.join(d, n) for n in names if n.endswith(".ndjson")]
    if not files:
        tap(True, "# SKIP no .ndjson files under " + ndir)
for path in sorted(files):
    errs = []
    lines = 0
    with open(path, "rb") as f:
        for lineno, raw in enumerate(f, 1):
            lines += 1
            try:
                why = check_event(json.loads(raw.decode("utf-8"),
                                             parse_constant=no_constant))
            except (ValueError, UnicodeDecodeError) as x:
                why = "not JSON: %s" % x
            except (TypeError, AttributeError, KeyError):
                why = "not an event object"
            if why is not None:
                errs.append("%s:%d: %s" % (path, lineno, why))
    tap(not errs, "%s: each of %d lines is a valid event" % (
        os.path.relpath(path, ndir), lines), errs[:10])

print("1..%d" % len(results))
for i, (ok, what, diag) in enumerate(results, 1):
    if what.startswith("# SKIP"):
        print("ok %d %s" % (i, what))
        continue
    print("%s %d - %s" % ("ok" if ok else "not ok", i, what))
    for line in diag:
        print("# " + line)
sys.exit(0 if all(r[0] for r in results) else 1)
EOF
