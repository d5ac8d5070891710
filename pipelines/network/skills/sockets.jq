# sockets: listening sockets (tend collect host --sockets) that are not on
# the allow-list $allow.sockets.allow: closed in the host firewall (ufw
# deny; rollback: ufw delete deny) when $allow.sockets.close says so,
# escalated otherwise.  Sockets bound to loopback are not exposed.
#
# Input: tend.resource.state events of kind socket (key
# host:HOST/socket/PROTO/ADDRESS:PORT, spec {proto, address, port},
# status.process.comm).
# $allow (--data allow=FILE): {"sockets": {"allow": [ENTRY], "close":
# [ENTRY]}}, ENTRY members among proto, address, port, process, scope.
include "lib/allow";

def loopback:
	. == "::1" or startswith("127.") or . == "localhost";

def wildcard: . == "0.0.0.0" or . == "::" or . == "*";

# ufw by absolute path (tend apply runs only those on its allow-list).
($skill.params.commands.ufw // "/usr/sbin/ufw") as $ufw
| select(.data.kind == "socket" and .data.provider == "host")
| .data as $d
| {scope: ($d.scope // ($d.key | ltrimstr("host:") | split("/")[0])),
   proto: $d.spec.proto, address: $d.spec.address, port: $d.spec.port,
   process: $d.status.process.comm} as $f
| select($f.address | loopback | not)
| ($f | verdict($allow.sockets // {})) as $v
| select($v != "allow")
| "\($f.proto) \(if $f.address | test(":") then "[\($f.address)]" else $f.address end):\($f.port)" as $sock
| "\($sock) on \($f.scope)\(if $f.process then " (\($f.process))" else "" end)" as $what
| if $v == "close" then
	(["proto", $f.proto]
	 + (if $f.address | wildcard then [] else ["to", $f.address] end)
	 + ["port", ($f.port | tostring)]) as $rule
	| ($f | why_close($allow.sockets)) as $e
	| {executor: {type: "exec", argv: ([$ufw, "deny"] + $rule)},
	   rollback: {type: "exec", argv: ([$ufw, "delete", "deny"] + $rule)},
	   reason: "close \($what) in the host firewall: not on the allow-list\(
	     if $e.comment then " (\($e.comment))" else "" end)"}
  else
	{escalate: true, risk: "high",
	 reason: "\($what) listens beyond loopback and is not on the allow-list"}
  end
