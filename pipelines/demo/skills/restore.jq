# restore: the demo's host skill.  Drift of a host file or sysctl of a
# demo host becomes a file write into that host's directory in the demo's
# scratch tree ($roots, --data roots=FILE: {"HOST": "/abs/dir"}), never
# the real machine: a file gets its desired content from $files (--data
# files=FILE: {"/etc/x": "text"}), a sysctl its desired value in
# DIR/proc/sys/NAME.  Rollback writes the observed value back where the
# event has it (sysctl); a file's old content was never collected.
# Anything else (missing, unexpected, attributes) is escalated.
# tend apply re-reads a file before writing it and refuses when its
# SHA-256 is not the precondition's: a file's is in its observed state; a
# sysctl file's is looked up here for the values 0 and 1 (jq has no
# SHA-256), other values are escalated.
def sysctl_file_digest:
	{"0": "9a271f2a916b0b6ee6cecb2426f0b3206ef074578be55d9bc94f6f3fe3ab86aa",
	 "1": "4355a46b19d348dc2f57c046f8ef63d4538ebb936000f3c9ee954a27460dd865"}
	[tostring];

select(.data.provider == "host"
    and (.data.kind == "file" or .data.kind == "sysctl"))
| (.data.key | ltrimstr("host:") | split("/")) as $k
| ($roots[$k[0]] // null) as $root
| (.data.patch // []) as $ops
| if $root == null then
	{escalate: true, reason: "\($k[0]) is not a demo host (--data roots)"}
  elif .data.drift != "modified" then
	{escalate: true,
	 reason: "\(.data.key) is \(.data.drift): the demo restores modified files and sysctls only"}
  elif .data.kind == "sysctl" then
	($k[2:] | join("/")) as $name
	| ([$ops[] | select(.path == "/value" and .op == "replace")][0].value)
	    as $v
	| (.observed.spec.value // null) as $was
	| ($was | if . == null then null else sysctl_file_digest end) as $dig
	| if $v == null or $dig == null then
		{escalate: true, reason: "sysctl \($name) on \($k[0]) drifted at \([$ops[].path] | join(", ")) (observed \($was | tojson))"}
	  else
		"\($root)/proc/sys/\($name | gsub("\\."; "/"))" as $path
		| {executor: {type: "file", path: $path, content: "\($v)\n"},
		   precondition: {digest: "sha256:\($dig)"},
		   rollback: {type: "file", path: $path, content: "\($was)\n"},
		   reason: "set sysctl \($name) on \($k[0]) back to \($v) (in \($root))"}
	  end
  else
	("/" + ($k[2:] | join("/")) | ltrimstr("/") | "/" + .) as $file
	| [$ops[] | select(.op != "test") | .path] as $paths
	| if $paths != ["/sha256"] or ($files[$file] // null) == null
	    or (.observed.spec.sha256 // null) == null then
		{escalate: true,
		 reason: "\($file) on \($k[0]) drifted at \($paths | join(", ")), which the demo cannot restore"}
	  else
		{executor: {type: "file", path: "\($root)\($file)",
		   content: $files[$file]},
		 precondition: {digest: "sha256:\(.observed.spec.sha256)"},
		 reason: "restore the content of \($file) on \($k[0]) (in \($root))"}
	  end
  end
