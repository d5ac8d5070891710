# Helpers of the observability skills.

# A Prometheus duration ("1h30m", "5m", "500ms") in seconds, or null.
def prom_seconds:
	if type != "string" or test("^([0-9]+(y|w|d|h|m|s|ms))+$") | not then null
	else [scan("([0-9]+)(ms|y|w|d|h|m|s)") as [$n, $u]
	      | ($n | tonumber) * {"y": 31536000, "w": 604800, "d": 86400,
	                           "h": 3600, "m": 60, "s": 1, "ms": 0.001}[$u]]
	     | add end;

# A label set as PromQL writes it, {a="1",b="2"}, in name order.
def promql_labels:
	"{" + (to_entries | sort_by(.key)
	       | map("\(.key)=\(.value | tojson)") | join(",")) + "}";

# The text of a rule file from a normalized rulefile state (spec, status):
# the groups of the spec with each group's interval from the status (the
# spec leaves it out, see tend-normalize(1)).  JSON is YAML, so Prometheus
# reads it as written.
def rule_file_text($state):
	($state.status.groups // [] | map({key: .name, value: .interval})
	 | from_entries) as $iv
	| {groups: [$state.spec.groups[]
	   | if $iv[.name] != null then {name, interval: "\($iv[.name])s", rules}
	     else {name, rules} end]}
	| tojson + "\n";

# The host's key of a file: host:HOST/file/PATH.
def host_file_key($host; $path): "host:\($host)/file\($path)";
