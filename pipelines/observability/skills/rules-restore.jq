# rules-restore: a rule file whose groups Prometheus has loaded differ
# from the desired file (tend diff of `tend collect prometheus --rules`
# against `--rule-file LIVE=DESIRED`) is written back from the desired
# state, and Prometheus reloads its configuration (POST /-/reload, which
# needs --web.enable-lifecycle).  The file write's rollback puts the rules
# Prometheus had loaded back; the reload's rollback reloads again, after
# that.  A loaded file nobody declared (tend diff --scope) is escalated.
#
# Input: tend.drift.detected of kind rulefile (key
# prometheus:HOST:PORT/rulefile/PATH); $state (needs state) holds the
# live rulefile's state and, from `tend collect host --file PATH`, the
# file's own bytes' digest: the write's precondition, so tend apply
# refuses to overwrite a file that changed since it was read.  $desired
# (--data desired=FILE) is the desired state, as tend diff read it;
# $obs.prometheus.url where Prometheus answers (default http:// and the
# scope), $obs.host the host name in file keys.
include "lib/prom";

($skill.params.commands.rm // "/usr/bin/rm") as $rm
| select(.data.provider == "prometheus" and .data.kind == "rulefile")
| . as $in
| .data.name as $path
| .data.scope as $scope
| ($obs.prometheus.url // "http://\($scope)" | rtrimstr("/")) as $url
| ($state[.data.key] // null) as $live
| ([$desired[]? | select(.data.key == $in.data.key)] | last | .data) as $want
| ($state[host_file_key($obs.host // ""; $path)] // null
   | if . != null and .status.exists != false and .spec.sha256 != null
     then . else null end) as $file
| {type: "http", method: "POST", url: "\($url)/-/reload"} as $reload
| if .data.drift == "unexpected" then
	{escalate: true,
	 reason: "Prometheus at \($scope) loads rule file \($path), which is not among the desired rule files"}
  elif $want == null then
	{escalate: true,
	 reason: "rule file \($path) drifted but its desired state is not in $desired"}
  elif .data.drift == "modified" and $file == null then
	{escalate: true,
	 reason: "rule file \($path) at \($scope) drifted at \(.data.paths // [] | join(", ")), but the file itself was not read (tend collect host --file \($path)), so a write could not check what it replaces"}
  else
	{step: "write",
	 executor: {type: "file", path: $path, mode: ($file.spec.mode // "0644"),
		    content: rule_file_text($want)},
	 rollback: (if $live != null
		    then {type: "file", path: $path, content: rule_file_text($live)}
		    elif $file == null then {type: "exec", argv: [$rm, "-f", "--", $path]}
		    else null end),
	 precondition: (if $file == null then null
			else {digest: "sha256:\($file.spec.sha256)"} end),
	 reason: (if .data.drift == "missing"
		  then "rule file \($path) is desired but Prometheus at \($scope) has not loaded it: write it"
		  else "the rules Prometheus at \($scope) loaded from \($path) differ from the desired ones at \(.data.paths // [] | join(", ")): write the desired file" end)},
	{after: ["write"],
	 executor: $reload,
	 rollback: $reload,
	 targets: [.data.key],
	 precondition: null,
	 reason: "reload Prometheus at \($scope) so it loads \($path)"}
  end
