# file-restore: drift of a host file (key host:HOST/file/PATH, spec
# {sha256, mode, owner, group}) becomes a file write restoring its mode,
# owner, group and, when its digest drifted, its content, taken from
# $files (--data files=FILE: {"/etc/x": "text"} or {"/etc/x": {"content":
# "text"}}), because tend never carries file contents in its events.
#   rollback: the observed mode, owner and group; none when the content is
#     replaced (the old content was never collected), so the reason says so;
#   missing: the file is created from $files, rollback removes it;
#   unexpected, or content drift without an entry in $files: escalated.
# The write's precondition is the SHA-256 of the bytes observed (what
# tend apply reads back), so a file changed since is not overwritten.
include "lib/ptr";

($skill.params.commands.rm // "/usr/bin/rm") as $rm
| select(.data.provider == "host" and .data.kind == "file")
| (.data.key | ltrimstr("host:") | split("/")) as $k
| (.observed.status.path // ("/" + ($k[2:] | join("/")) | ltrimstr("/") | "/" + .)) as $path
| (.data.patch // []) as $ops
| (.observed.spec // null) as $obs
| ($files[$path] // null | if type == "string" then {content: .} else . end) as $src
| {risk: risk_of(.data.severity)} as $risk
| if .data.drift == "unexpected" then
	{escalate: true,
	 reason: "\($path) exists on \($k[0]) but is not in the desired state"}
	+ $risk
  elif .data.drift == "missing" then
	($ops[0].value // {}) as $want
	| if $src == null or $src.content == null then
		{escalate: true,
		 reason: "\($path) is missing on \($k[0]) and its desired content is unknown (--data files)"}
		+ $risk
	  else
		{executor: ({type: "file", path: $path, content: $src.content}
		   + ($want | with_entries(select(.key == "mode" or .key == "owner" or .key == "group")))),
		 rollback: {type: "exec", argv: [$rm, "-f", "--", $path]},
		 reason: "create \($path) on \($k[0]), desired but missing"}
		+ $risk
	  end
  else
	[$ops[] | select(.op != "test") | .path] as $paths
	| ($paths | any(. == "/sha256")) as $content
	| [$paths[] | select(. == "/mode" or . == "/owner" or . == "/group")] as $attrs
	| if ($paths - ["/sha256", "/mode", "/owner", "/group"]) != [] then
		{escalate: true,
		 reason: "\($path) on \($k[0]) drifted at \($paths | join(", ")), which this skill cannot restore"}
		+ $risk
	  elif $content and ($src == null or $src.content == null) then
		{escalate: true,
		 reason: "the content of \($path) on \($k[0]) drifted and its desired content is unknown (--data files)"}
		+ $risk
	  else
		{executor: ({type: "file", path: $path}
		   + (if $content then {content: $src.content} else {} end)
		   + ([$attrs[] | {key: ltrimstr("/"), value: wanted($ops; .)}
		       | select(.value != null)] | from_entries)),
		 rollback: (if $content then null
		   else [$attrs[] | {key: ltrimstr("/"), value: observed_at($obs; $ops; .)}]
		   | if any(.value.found | not) then null
		     else {type: "file", path: $path}
		       + (map({key, value: .value.value}) | from_entries) end
		   end),
		 reason: "restore \($path) on \($k[0]): \(
		   [if $content then "content" else empty end,
		    ($attrs[] | ltrimstr("/"))] | join(", "))\(
		   if $content then " (its old content was not collected: no rollback)" else "" end)"}
		+ (observed_at($obs; $ops; "/sha256")
		   | if .found then {precondition: {digest: "sha256:\(.value)"}}
		     else {} end)
		+ $risk
	  end
  end
| if .risk == null then del(.risk) else . end
