# upgrade: packages below the fixed version of an OSV advisory become one
# upgrade per host and ecosystem: apt-get install --only-upgrade PKG=VER
# for Debian, npm install PKG@VER, pip install PKG==VER, with the
# installed versions put back as rollback.  Risk comes from the worst
# advisory's severity.  A package whose advisory has no fixed version is
# escalated on its own.
#
# Input (batch): every tend.finding of the run (tend-plan(1), FINDINGS):
# .subject the package's key, .data {advisory, aliases, summary,
# severity, package, installed, fixed, upgrade_to, ecosystem, scope}.
# upgrade_to is the version that fixes every advisory of the package
# that has a fix; tend plan compared the versions (dpkg, SemVer).

def family:
	if startswith("Debian") then "Debian"
	elif . == "npm" then "npm"
	elif . == "PyPI" then "PyPI"
	else . end;

# OSV / GHSA / CVSS severities, worst first; no severity counts as medium.
def rank:
	{"CRITICAL": 4, "HIGH": 3, "MODERATE": 2, "MEDIUM": 2, "LOW": 1,
	 "NONE": 1}[. // "MEDIUM"] // 2;

def risk: ["low", "low", "medium", "high", "critical"][.];

def spec($fam; $v):
	if $fam == "Debian" then "\(.)=\($v)"
	elif $fam == "npm" then "\(.)@\($v)"
	else "\(.)==\($v)" end;

# Commands by absolute path (tend apply runs only those on its
# allow-list); $skill.params.commands can point elsewhere.
def bin($name; $default): $skill.params.commands[$name] // $default;

def command($fam; $specs; $rollback):
	if $fam == "Debian" then
		{type: "exec",
		 argv: ([bin("apt-get"; "/usr/bin/apt-get"), "install", "-y",
		   "--no-install-recommends"]
		   + (if $rollback then ["--allow-downgrades"]
		      else ["--only-upgrade"] end) + $specs),
		 env: {DEBIAN_FRONTEND: "noninteractive"}}
	elif $fam == "npm" then
		{type: "exec",
		 argv: ([bin("npm"; "/usr/bin/npm"), "install", "--save-exact"]
		   + $specs)}
	else
		{type: "exec",
		 argv: ([bin("pip"; "/usr/bin/pip3"), "install", "--no-deps"]
		   + $specs)}
	end;

def advisories: [.[] | .data.advisory] | unique;

def names: [.[] | .data.advisory, .data.aliases[]] | unique | join(", ");

group_by([.data.scope, (.data.ecosystem | family)])[]
| (.[0].data.scope // "?") as $where
| (.[0].data.ecosystem | family) as $fam
| [group_by(.subject)[]
    | {key: .[0].subject, package: .[0].data.package,
       installed: .[0].data.installed, to: .[0].data.upgrade_to,
       unfixed: [.[] | select(.data.fixed == null)],
       rank: (map(.data.severity | rank) | max), findings: .}] as $pkgs
| ($pkgs | map(select(.to != null))) as $fix
| (if ($fix | length) == 0 then empty
   elif ($fam | IN("Debian", "npm", "PyPI") | not) then
	{escalate: true, targets: [$fix[].key],
	 risk: ($fix | map(.rank) | max | risk),
	 reason: "\($where): \($fix | length) \($fam) package(s) below a fixed version (\([$fix[].findings[]] | names)); no upgrade command is known for \($fam)"}
   else
	{executor: command($fam;
	   [$fix[] | .to as $v | .package | spec($fam; $v)]; false),
	 rollback: command($fam;
	   [$fix[] | .installed as $v | .package | spec($fam; $v)]; true),
	 targets: [$fix[].key],
	 risk: ($fix | map(.rank) | max | risk),
	 reason: "\($where): upgrade \($fix | length) \($fam) package(s) to fixed versions: \(
	   [$fix[] | "\(.package) \(.installed) -> \(.to) (\(.findings | names))"]
	   | join("; "))"}
   end),
  ($pkgs[] | select(.unfixed != []) |
	{escalate: true, targets: [.key], risk: (.rank | risk),
	 reason: "\($where): \(.package) \(.installed) is affected by \(
	   .unfixed | names), which has no fixed version: mitigate or remove it"})
