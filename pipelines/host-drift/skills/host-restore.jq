# host-restore: drift of this host's files and sysctls against the
# baseline becomes the actions that put them back, on the real host:
#   a file whose content drifted: a file write of the baseline's content
#     ($files, --data files=FILE: {"/etc/x": "text"}), with the mode,
#     owner and group the baseline has, guarded by the observed content's
#     SHA-256 (tend apply refuses if the file changed since); then, when
#     $reloads names a command for the file (--data reloads=FILE:
#     {"/etc/nginx/nginx.conf": ["/usr/sbin/nginx", "-s", "reload"]}), that
#     command, after the write succeeded;
#   a file whose mode, owner or group drifted: the same write;
#   a sysctl: /usr/sbin/sysctl -w NAME=VALUE, the observed value as
#     rollback;
#   missing, unexpected, or content without a baseline copy: escalated.
select(.data.provider == "host"
    and (.data.kind == "file" or .data.kind == "sysctl"))
| (.data.key | ltrimstr("host:") | split("/")) as $k
| (.data.patch // []) as $ops
| [$ops[] | select(.op != "test") | .path] as $paths
| def want($p): [$ops[] | select(.path == $p and .op != "test")][0].value;
  if .data.drift != "modified" then
	{escalate: true,
	 reason: "\(.data.key) is \(.data.drift) against the baseline: a human decides"}
  elif .data.kind == "sysctl" then
	($k[2:] | join("/")) as $name
	| want("/value") as $v
	| if $v == null then
		{escalate: true, reason: "sysctl \($name) drifted at \($paths | join(", "))"}
	  else
		{executor: {type: "exec",
		   argv: ["/usr/sbin/sysctl", "-w", "\($name)=\($v)"]},
		 rollback: (if .observed.spec.value then
		   {type: "exec", argv: ["/usr/sbin/sysctl", "-w",
		     "\($name)=\(.observed.spec.value)"]} else null end),
		 reason: "set sysctl \($name) on \($k[0]) back to \($v | tojson) (observed \(.observed.spec.value | tojson))"}
	  end
  else
	(.observed.status.path // ("/" + ($k[2:] | join("/")))) as $path
	| ($files[$path] // null) as $content
	| ({mode: want("/mode"), owner: want("/owner"), group: want("/group")}
	   | with_entries(select(.value != null))) as $attrs
	| if ($paths - ["/sha256", "/mode", "/owner", "/group"]) != [] then
		{escalate: true,
		 reason: "\($path) drifted at \($paths | join(", ")), which this skill cannot restore"}
	  elif $content == null then
		{escalate: true,
		 reason: "\($path) drifted and the baseline has no copy of it"}
	  else
		{step: "write",
		 executor: ({type: "file", path: $path, content: $content}
		   + $attrs),
		 precondition: {digest: "sha256:\(.observed.spec.sha256)"},
		 reason: "restore \($path) on \($k[0]) from the baseline (\($paths | map(ltrimstr("/")) | join(", ")))"},
		(($reloads[$path] // null) as $cmd
		 | select($cmd != null)
		 | {after: ["write"],
		    executor: {type: "exec", argv: $cmd},
		    reason: "reload after restoring \($path): \($cmd | join(" "))"})
	  end
  end
