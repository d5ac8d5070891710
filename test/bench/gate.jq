# make bench: test/bench/gate-policy.json written as a jq filter, to
# compare tend gate with jq doing the same work on the same proposals:
# skill modes, credential scope, the deny rule, risk to mode, and a
# decision event per proposal with its reasons and the action copied.
# The windows are taken as tend gate finds them at the bench's clock
# (weeknights closed, no freeze); jq has no cron, no Ed25519 and no
# SHA-256, so it neither signs nor derives ids: tend gate does both.
def skills: {"k8s-revert": "auto", "host-upgrade": "auto",
    "host-file": "auto", "host-socket": "off"};
def risks: {"low": "auto", "medium": "window", "high": "human",
    "critical": "human"};
def creds: {"k8s-writer": ["k8s-*"],
    "ssh-fleet": ["host-upgrade", "host-sysctl", "host-file"]};
def granted($c; $s):
    (creds[$c] // []) | any(. as $p | if ($p | endswith("*"))
        then ($s | startswith($p[:-1])) else $s == $p end);
def mk($type; $reasons; $extra):
    {specversion: "1.0", id: (.id + "-gate"), source: "tend-gate",
     type: ("tend.action." + $type), time: "2026-11-23T12:00:00Z",
     subject, runid, causeid: .id, datacontenttype: "application/json",
     data: ({action_id: .data.action_id, reasons: $reasons,
        policy_digest: "sha256:0000000000000000000000000000000000000000000000000000000000000000"}
        + $extra + {action: .data})};
select(.type == "tend.action.proposed")
| .data as $a
| (skills[$a.skill] // "shadow") as $sm
| (risks[$a.risk] // "human") as $rm
| ([if $sm == "shadow" then "skill '\($a.skill)' is in shadow mode" else empty end]) as $sh
| ([if $sm == "off" then "skill '\($a.skill)' is off (skills)" else empty end,
    if $a.credential and (granted($a.credential; $a.skill) | not)
    then "credential '\($a.credential)' is not granted to skill '\($a.skill)' (credentials)"
    else empty end,
    if $a.targets | any(test("/kube-system/|/ns-0/"))
    then "rule 'no-kube-system' (deny): kube-system belongs to the platform team"
    else empty end]) as $deny
| if ($deny | length) > 0 then mk("denied"; $sh + $deny; {})
  elif $rm == "human" then mk("escalated"; $sh + ["risk \($a.risk): human (risk.\($a.risk))"]; {notified: []})
  elif $rm == "window" then mk("deferred"; $sh + ["risk \($a.risk): window (risk.\($a.risk))",
      "window 'weeknights' (0 22 * * 1-5, 4h, Europe/Berlin) is closed; next opening 2026-11-23T21:00:00Z"];
      {not_before: "2026-11-23T21:00:00Z"})
  else mk("approved"; $sh + ["risk \($a.risk): auto (risk.\($a.risk))"];
      {shadow: ($sm == "shadow"), expires: "2026-11-23T12:15:00Z", key_id: "bench+00000000", signature: ""})
  end
