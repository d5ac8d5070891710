# Allow-list matching for the network skills: include "lib/allow";

# True when entry $e matches the facts object .: every member $e names
# (but comment) equals the fact; scope may also be a prefix ending in "*".
def matches($e):
	. as $f
	| $e | to_entries | map(select(.key != "comment"))
	| all(.key as $k | .value as $v
	    | if $k == "scope" and ($v | type) == "string" and ($v | endswith("*"))
	      then ($f.scope // "") | startswith($v[:-1])
	      else $f[$k] == $v end);

# "allow", "close" or "escalate" for facts ., per list $l ({allow, close}).
def verdict($l):
	. as $f
	| if any(($l.allow // [])[]; . as $e | $f | matches($e)) then "allow"
	  elif any(($l.close // [])[]; . as $e | $f | matches($e)) then "close"
	  else "escalate" end;

# The entry of $l.close that matched, for the reason.
def why_close($l):
	. as $f | [($l.close // [])[] | . as $e | select($f | matches($e))][0];
