# JSON Pointers (RFC 6901) and JSON Patch (RFC 6902) helpers for skills.
# Included by the skills of this folder: include "lib/ptr";

# "/a/b~1c" -> ["a", "b/c"]
def ptr_tokens:
	if . == "" then []
	else .[1:] | split("/")
	  | map(if index("~") then split("~1") | join("/") | split("~0")
	      | join("~") else . end)
	end;

# ["a", "b/c"] -> "/a/b~1c"
def ptr_join:
	map("/" + (tostring | split("~") | join("~0") | split("/")
	    | join("~1"))) | join("");

# A decimal array index token: "0" or digits without a leading zero.
def is_index:
	explode | length > 0 and all(. >= 48 and . <= 57) and
	    (length == 1 or .[0] != 48);

# The value at pointer $p of ., as {found, value}.  Array tokens index.
def ptr_get($p):
	reduce ($p | ptr_tokens[]) as $t ({found: true, value: .};
		if .found | not then .
		elif (.value | type) == "object" and (.value | has($t)) then
			.value = .value[$t]
		elif (.value | type) == "array" and ($t | is_index) and
		    ($t | tonumber) < (.value | length) then
			.value = .value[$t | tonumber]
		else {found: false, value: null}
		end);

# True when the pointer steps into an array (a numeric token or "-").
def ptr_indexes: ptr_tokens | any(. == "-" or is_index);

# Every string anywhere in ., for secret checks.
def all_strings: [.. | strings];

# A value normalize replaced by a token (a secret): never written back.
def is_secret_token: type == "string" and (startswith("tok:") or . == "redacted");

# The value a drift's patch ($ops) sets at $p (add or replace), or null.
def wanted($ops; $p):
	[$ops[] | select((.op == "add" or .op == "replace") and .path == $p)
	    | .value] | last;

# The observed value at $p, as {found, value}, or {found: false,
# unknown: true} when nothing says: from $obs (the observed spec, from
# needs "observed") when known, else from a test operation of $ops.
def observed_at($obs; $ops; $p):
	if $obs != null then $obs | ptr_get($p)
	else [$ops[] | select(.op == "test" and .path == $p)]
	  | if length > 0 then {found: true, value: .[0].value}
	    else {found: false, unknown: true} end
	end;

# A drift severity (tend diff) as a risk, or null.
def risk_of($sev):
	{"info": "low", "low": "low", "medium": "medium", "high": "high",
	 "critical": "critical"}[$sev // ""];
