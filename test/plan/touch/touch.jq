# A skill for the shared bad-input suite (test/bad-input/programs): one
# escalation for every observed resource, so plan writes as it reads.
{escalate: true, reason: "observed \(.subject // .id)",
 targets: ["test:bad-input/\(.type)/\(.id)"]}
