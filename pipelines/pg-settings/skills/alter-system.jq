# alter-system: drift of a PostgreSQL setting (key exec:SCOPE/setting/NAME,
# spec {name, setting, context} as pg_settings has them) becomes
#   psql -c "ALTER SYSTEM SET NAME = 'VALUE'" -c "SELECT pg_reload_conf()"
# with the observed value set back the same way as rollback.  The
# connection comes from $conn (--data conn=FILE: {"PGHOST": ..., "PGPORT":
# ..., "PGUSER": ..., "PGDATABASE": ...}), passed in the command's
# environment.  A setting that needs a restart (context postmaster), a
# name that is not a plain identifier, or missing/unexpected settings are
# escalated.
select(.data.provider == "exec" and .data.kind == "setting")
| (.data.key | split("/") | .[-1]) as $name
| ([(.data.patch // [])[] | select(.path == "/setting" and .op == "replace")][0].value) as $want
| (.observed.spec // {}) as $obs
| def sql_str: "'" + (tostring | gsub("'"; "''")) + "'";
  def psql($v): {type: "exec",
	argv: ["/usr/bin/psql", "-X", "-q", "-v", "ON_ERROR_STOP=1",
	  "-c", "ALTER SYSTEM SET \($name) = \($v | sql_str)",
	  "-c", "SELECT pg_reload_conf()"],
	env: ($conn // {})};
  if .data.drift != "modified" then
	{escalate: true, reason: "setting \($name) is \(.data.drift) against the desired settings"}
  elif ($name | test("^[a-z_][a-z0-9_.]*$") | not) then
	{escalate: true, reason: "setting name \($name | tojson) is not a plain identifier"}
  elif ($obs.context // "") == "postmaster" then
	{escalate: true, reason: "setting \($name) needs a server restart: \($obs.setting) -> \($want)"}
  elif $want == null then
	{escalate: true, reason: "setting \($name) drifted in a way a value cannot restore"}
  else
	{executor: psql($want),
	 rollback: (if $obs.setting != null then psql($obs.setting) else null end),
	 reason: "ALTER SYSTEM SET \($name) = \($want | sql_str) and reload (was \($obs.setting | tojson))"}
  end
