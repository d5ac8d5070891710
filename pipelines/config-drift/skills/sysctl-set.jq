# sysctl-set: drift of a host's sysctl key (key host:HOST/sysctl/NAME,
# spec {"value": "..."}) becomes `sysctl -w NAME=VALUE`, with the observed
# value written back as rollback.  A key the kernel lacks (missing) is
# escalated; keys observed but not desired are left alone.
# Needs "observed" (tend diff --pass before tend plan) or test operations
# in the patch for the rollback value.
include "lib/ptr";

# sysctl by absolute path (tend apply runs only those on its allow-list).
($skill.params.commands.sysctl // "/usr/sbin/sysctl") as $sysctl
| select(.data.provider == "host" and .data.kind == "sysctl")
| (.data.key | ltrimstr("host:") | split("/")) as $k
| (.data.name // ($k[2:] | join("/"))) as $name
| (.data.patch // []) as $ops
| {risk: risk_of(.data.severity)} as $risk
| if .data.drift == "missing" then
	{escalate: true,
	 reason: "sysctl \($name) is desired on \($k[0]) but the kernel has no such key"}
	+ $risk
  elif .data.drift != "modified" then empty
  else
	(if .data.drift == "modified" then wanted($ops; "/value") else null end) as $v
	| observed_at(.observed.spec // null; $ops; "/value") as $was
	| if $v == null then
		{escalate: true,
		 reason: "sysctl \($name) on \($k[0]) drifted in a way a value cannot restore (\([$ops[].path] | join(", ")))"}
		+ $risk
	  else
		{executor: {type: "exec", argv: [$sysctl, "-w", "\($name)=\($v)"]},
		 rollback: (if $was.found then
		   {type: "exec", argv: [$sysctl, "-w", "\($name)=\($was.value)"]}
		   else null end),
		 reason: "set sysctl \($name) on \($k[0]) back to its desired value \($v | tojson)\(if $was.found then " (observed \($was.value | tojson))" else "" end)"}
		+ $risk
	  end
  end
| if .risk == null then del(.risk) else . end
