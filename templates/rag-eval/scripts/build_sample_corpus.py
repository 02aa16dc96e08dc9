"""Build the embedded sample set: the documentation of Kestrel Systems, a fictional cloud provider.

The corpus, the queries and the graded judgements are generated from one seeded random source, so
the committed files under `src/<package>/sample/` can be rebuilt byte for byte (a test checks it):

    python scripts/build_sample_corpus.py [OUT_DIR]

Twelve services each get seven pages (overview, quickstart, limits, pricing, troubleshooting,
security, incident runbook), and the employee handbook adds twelve policy pages: about a hundred
markdown documents and five hundred sections. Every query asks for a fact stated on one page
(grade 2) that related pages mention in passing (grade 1); queries paraphrase the documentation on
purpose, and a few share no content word with the page that answers them, as real users' do.
"""

from __future__ import annotations

import json
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

SEED = 20240611
ORG = "Kestrel Systems"


@dataclass(frozen=True)
class Service:
    slug: str
    name: str
    what: str  # one phrase: what the service is
    resource: str  # the thing users create
    resources: str
    command: str  # CLI noun
    limit_name: str  # the hard limit, as the docs phrase it
    limit_value: str
    limit_question: str  # the same limit, as a user asks about it
    billing_unit: str


SERVICES = [
    Service(
        "aerie-compute",
        "Aerie Compute",
        "virtual machines with local NVMe disks",
        "instance",
        "instances",
        "compute",
        "vCPUs per instance",
        "96 vCPUs",
        "the largest virtual machine size in terms of cores",
        "vCPU-hour",
    ),
    Service(
        "burrow-storage",
        "Burrow Storage",
        "S3-compatible object storage",
        "bucket",
        "buckets",
        "storage",
        "size of a single object",
        "5 TiB",
        "the biggest file I can upload",
        "GiB-month",
    ),
    Service(
        "canopy-dns",
        "Canopy DNS",
        "authoritative DNS hosting with health-checked records",
        "zone",
        "zones",
        "dns",
        "records per zone",
        "10,000 records",
        "how many DNS entries one domain can hold",
        "million queries",
    ),
    Service(
        "drift-queues",
        "Drift Queues",
        "durable message queues with at-least-once delivery",
        "queue",
        "queues",
        "queues",
        "message payload size",
        "256 KiB",
        "how large a single message body can be",
        "million requests",
    ),
    Service(
        "ember-functions",
        "Ember Functions",
        "serverless functions triggered by events",
        "function",
        "functions",
        "functions",
        "execution timeout",
        "900 seconds",
        "how long a serverless handler may run before it is killed",
        "GB-second",
    ),
    Service(
        "fjord-databases",
        "Fjord Databases",
        "managed PostgreSQL clusters with replicas",
        "database",
        "databases",
        "db",
        "storage per database",
        "16 TiB",
        "the maximum disk space for a Postgres cluster",
        "vCPU-hour",
    ),
    Service(
        "glade-balancers",
        "Glade Load Balancers",
        "layer 4 and layer 7 load balancing",
        "load balancer",
        "load balancers",
        "lb",
        "listeners per load balancer",
        "50 listeners",
        "how many ports one balancer can accept traffic on",
        "LCU-hour",
    ),
    Service(
        "harrier-cdn",
        "Harrier CDN",
        "a content delivery network with 80 edge locations",
        "distribution",
        "distributions",
        "cdn",
        "size of a cached file",
        "20 GiB",
        "the largest asset the edge will cache",
        "GiB delivered",
    ),
    Service(
        "ibis-identity",
        "Ibis Identity",
        "identity and access management for projects",
        "service account",
        "service accounts",
        "iam",
        "keys per service account",
        "10 keys",
        "how many credentials a robot account can have",
        "active user-month",
    ),
    Service(
        "jetty-containers",
        "Jetty Containers",
        "managed Kubernetes clusters",
        "cluster",
        "clusters",
        "k8s",
        "nodes per cluster",
        "500 nodes",
        "how big a Kubernetes cluster can grow",
        "cluster-hour",
    ),
    Service(
        "kiln-build",
        "Kiln Build",
        "hosted CI pipelines with cached runners",
        "pipeline",
        "pipelines",
        "build",
        "duration of a single build",
        "6 hours",
        "how long a CI job may take before it is cancelled",
        "build-minute",
    ),
    Service(
        "lark-monitoring",
        "Lark Monitoring",
        "metrics, dashboards and alerting",
        "alert rule",
        "alert rules",
        "monitor",
        "metric retention",
        "395 days",
        "how far back I can look at old metrics",
        "million samples",
    ),
]

REGIONS = [
    "Lisbon",
    "Oslo",
    "Warsaw",
    "Dublin",
    "Montreal",
    "Osaka",
    "Sydney",
    "Santiago",
    "Nairobi",
    "Mumbai",
    "Seoul",
    "Denver",
]
ROTATIONS = [
    "Falcon",
    "Heron",
    "Osprey",
    "Kite",
    "Merlin",
    "Petrel",
    "Plover",
    "Tern",
    "Swift",
    "Wren",
    "Crane",
    "Egret",
]
ERROR_KINDS = [
    (
        "quota exceeded",
        "the project already holds the maximum number of {resources}",
        "delete unused {resources} or request a higher quota",
        "I can't create another {resource}, it says I hit the ceiling for my project",
    ),
    (
        "permission denied",
        "the caller's role lacks the {command}.write permission",
        "ask a project admin to grant the Editor role",
        "{name} refuses my request although I am logged in, something about my role",
    ),
    (
        "region unavailable",
        "the region is draining for maintenance",
        "retry in another region or wait for the maintenance window to close",
        "{name} says the location I picked cannot take new {resources} right now",
    ),
    (
        "request throttled",
        "the token sent more requests per second than its rate limit",
        "back off exponentially and spread calls over several tokens",
        "I am getting throttled by the {name} API when my script runs in a loop",
    ),
    (
        "invalid configuration",
        "a field in the {resource} spec failed validation",
        "run `kestrel {command} validate` on the spec and fix the field it names",
        "my {resource} definition gets rejected as malformed, how do I find the bad field",
    ),
]
FILLER = {
    "support": [
        "Customers on the Business plan reach support around the clock through the console.",
        "Include the request ID from the response headers when you open a ticket.",
        "Community questions are answered in the public forum within two business days.",
        "Status updates for ongoing incidents are posted on the status page first.",
    ],
    "next": [
        "Read the security page before you put production data into the service.",
        "The pricing page explains how usage is metered and billed.",
        "Automate the steps above with the Terraform provider, version 3 or later.",
        "Tag every resource with an owner so cost reports can be broken down by team.",
    ],
    "changelog": [
        "This page was reviewed by the service team during the last quarterly docs audit.",
        "Older behaviour is described in the archived documentation for API version 1.",
        "Screenshots reflect the redesigned console released this spring.",
    ],
}


@dataclass
class Doc:
    doc_id: str
    title: str
    sections: list[tuple[str, str]] = field(default_factory=list)

    def markdown(self) -> str:
        parts = [f"# {self.title}"]
        for heading, body in self.sections:
            parts.append(f"## {heading}\n\n{body}")
        return "\n\n".join(parts) + "\n"


@dataclass
class Query:
    query_id: str
    text: str
    judgements: dict[str, int]


def filler(rng: random.Random, kind: str, count: int = 2) -> str:
    return " ".join(rng.sample(FILLER[kind], count))


def service_docs(s: Service, rng: random.Random, index: int) -> tuple[list[Doc], list[Query]]:
    """Seven pages for one service and the queries whose answers they hold."""
    regions = rng.sample(REGIONS, rng.randint(4, 9))
    sla = rng.choice(["99.9", "99.95", "99.99"])
    quota = rng.choice([10, 20, 25, 50, 100, 200])
    quota_days = rng.randint(2, 5)
    rate = rng.choice([20, 50, 100, 250])
    burst = rate * rng.choice([2, 3, 5])
    free = rng.choice([5, 10, 25, 50, 100])
    price = rng.choice(["0.012", "0.018", "0.021", "0.034", "0.045", "0.09"])
    egress = rng.choice(["0.05", "0.07", "0.08", "0.11"])
    port = rng.choice([5432, 6443, 7443, 8443, 9000, 9443, 443, 8080])
    audit_days = rng.choice([90, 180, 365, 400])
    rotation_days = rng.choice([30, 60, 90])
    rotation = ROTATIONS[index]
    escalate_minutes = rng.choice([10, 15, 20, 30])
    cli_version = f"2.{rng.randint(3, 9)}"
    codes = [f"KS-{index + 1}{n:03d}" for n in rng.sample(range(10, 99), 3)]
    errors = rng.sample(ERROR_KINDS, 3)
    a_resource = ("an " if s.resource[0] in "aeiou" else "a ") + s.resource
    fmt = {"resource": s.resource, "resources": s.resources, "command": s.command, "name": s.name}
    ids = {
        page: f"{s.slug}-{page}"
        for page in (
            "overview",
            "quickstart",
            "limits",
            "pricing",
            "troubleshooting",
            "security",
            "runbook",
        )
    }

    overview = Doc(
        ids["overview"],
        f"{s.name} overview",
        [
            (
                f"What {s.name} is",
                f"{s.name} provides {s.what} for teams building on {ORG}. "
                f"You manage {s.resources} from the console, the `kestrel {s.command}` CLI or the "
                f"REST API, and every {s.resource} belongs to exactly one project. "
                f"Most teams start with a single {s.resource} per environment.",
            ),
            (
                "Regions",
                f"{s.name} is available in {len(regions)} regions: "
                f"{', '.join(regions)}. Data stays in the region you choose unless you configure "
                f"replication yourself.",
            ),
            (
                "Service level",
                f"The service level agreement promises {sla}% monthly uptime for "
                f"{s.resources} running in two or more zones. Credits are applied automatically "
                f"when we miss it; single-zone deployments carry no uptime commitment.",
            ),
            (
                "Limits at a glance",
                f"The limit on {s.limit_name} is {s.limit_value}; the limits "
                f"page lists every quota and how to raise it.",
            ),
            ("Support", filler(rng, "support")),
        ],
    )
    quickstart = Doc(
        ids["quickstart"],
        f"{s.name} quickstart",
        [
            (
                "Before you begin",
                f"Install the Kestrel CLI version {cli_version} or later and "
                f"sign in with `kestrel auth login`. A new project can hold {quota} {s.resources} "
                f"before you need to ask for more.",
            ),
            (
                f"Create your first {s.resource}",
                f"Run `kestrel {s.command} create --name demo "
                f"--region {regions[0].lower()}`. The command prints the ID of the new "
                f"{s.resource} "
                f"and waits until it reports ready, which usually takes under a minute.",
            ),
            (
                "Connect",
                f"Clients reach {a_resource} over TLS on port {port}. Open that port "
                f"in your firewall rules if you connect from outside the project network.",
            ),
            (
                "Clean up",
                f"Delete the {s.resource} with `kestrel {s.command} delete demo` so "
                f"that it stops accruing charges.",
            ),
            ("Next steps", filler(rng, "next")),
        ],
    )
    limits = Doc(
        ids["limits"],
        f"{s.name} quotas and limits",
        [
            (
                "Default quotas",
                f"Each project may create up to {quota} {s.resources}. Quotas "
                f"protect you from runaway automation and us from capacity surprises.",
            ),
            (
                "Hard limits",
                f"Some limits cannot be raised: {s.limit_name} can be at most "
                f"{s.limit_value}. Design around it, for example by splitting the workload.",
            ),
            (
                "API rate limits",
                f"Each API token may send {rate} requests per second to "
                f"{s.name}, with bursts of up to {burst}. Requests above the limit are rejected "
                f"with HTTP status 429 and a Retry-After header.",
            ),
            (
                "Requesting an increase",
                f"File a quota request from the console under "
                f"Project settings, Quotas. Requests are reviewed within {quota_days} business "
                f"days; include the expected peak usage and a short justification.",
            ),
            ("Changelog", filler(rng, "changelog")),
        ],
    )
    pricing = Doc(
        ids["pricing"],
        f"{s.name} pricing",
        [
            (
                "How billing works",
                f"{s.name} is billed per {s.billing_unit}, metered every "
                f"second and invoiced monthly. Prices are the same in every region.",
            ),
            (
                "Free tier",
                f"Every account gets {free} {s.billing_unit}s of {s.name} free each "
                f"month. Unused free usage does not roll over to the next month.",
            ),
            (
                "Price list",
                f"Beyond the free tier you pay {price} USD per {s.billing_unit}. "
                f"Committed-use contracts for one or three years lower this price by 20% or 45%.",
            ),
            (
                "Data transfer",
                f"Traffic leaving {ORG} to the internet costs {egress} USD per "
                f"GiB; traffic between {s.resources} in the same region is free.",
            ),
            (
                "Budgets and alerts",
                "Set a budget on the project to receive an e-mail at 50%, "
                "90% and 100% of the amount. Budgets alert; they never stop resources.",
            ),
        ],
    )
    trouble_sections = []
    for code, (label, cause, fix, _) in zip(codes, errors, strict=True):
        trouble_sections.append(
            (
                f"{code}: {label}",
                f"This error means that {cause.format(**fmt)}. To resolve it, {fix.format(**fmt)}.",
            )
        )
    trouble_sections.append(
        (
            "Collecting diagnostics",
            f"Run `kestrel support bundle "
            f"--service {s.command}` and attach the archive to your "
            f"ticket. {filler(rng, 'support', 1)}",
        )
    )
    troubleshooting = Doc(ids["troubleshooting"], f"Troubleshooting {s.name}", trouble_sections)
    security = Doc(
        ids["security"],
        f"{s.name} security",
        [
            (
                "Encryption",
                f"All {s.name} data is encrypted at rest with AES-256. Encryption "
                f"keys are rotated every {rotation_days} days, and you can bring your own key "
                f"through Ibis Identity.",
            ),
            (
                "Access control",
                f"Three roles apply to {s.resources}: Viewer reads "
                f"configuration, Editor changes it, and Admin also manages who has access.",
            ),
            (
                "Audit logs",
                f"Every change to {a_resource} is written to the audit log, which "
                f"is kept for {audit_days} days and can be exported to Burrow Storage.",
            ),
            (
                "Network isolation",
                f"Private endpoints keep traffic on the {ORG} backbone; with "
                f"one configured, port {port} is not reachable from the internet.",
            ),
        ],
    )
    runbook = Doc(
        ids["runbook"],
        f"Incident runbook: {s.name}",
        [
            (
                "Symptoms",
                f"Customers report failing requests or timeouts against {s.resources}; "
                f"the error ratio on the {s.name} overview dashboard exceeds 2%.",
            ),
            (
                "Diagnosis",
                f"Check the dashboard in Lark Monitoring for the affected region, then "
                f"compare with the last deploy in Kiln Build. Look for errors {codes[0]} and "
                f"{codes[1]} in the service logs.",
            ),
            (
                "Mitigation",
                "Roll back the last deploy if it correlates; otherwise shift traffic "
                "away from the affected zone and scale out the control plane.",
            ),
            (
                "Escalation",
                f"Page the {rotation} rotation, which owns {s.name}. If nobody "
                f"acknowledges within {escalate_minutes} minutes, escalate to the duty manager.",
            ),
        ],
    )
    docs = [overview, quickstart, limits, pricing, troubleshooting, security, runbook]

    err_code, err_question = codes[1], errors[1][3]
    candidates = [
        (
            rng.choice(
                [
                    f"How many {s.resources} can one project have in {s.name}?",
                    f"default {s.resource} quota per project {s.name}",
                ]
            ),
            {ids["limits"]: 2, ids["quickstart"]: 1},
        ),
        (
            f"{s.limit_question[0].upper()}{s.limit_question[1:]} in {s.name}?",
            {ids["limits"]: 2, ids["overview"]: 1},
        ),
        (
            rng.choice(
                [
                    f"What is the API request rate limit for {s.name}?",
                    f"how many calls per second can a token make to {s.name}",
                ]
            ),
            {ids["limits"]: 2},
        ),
        (
            rng.choice(
                [
                    f"Is there a free allowance for {s.name} each month?",
                    f"{s.name} free usage per month",
                ]
            ),
            {ids["pricing"]: 2},
        ),
        (f"What does error {err_code} mean?", {ids["troubleshooting"]: 2, ids["runbook"]: 1}),
        (err_question.format(**fmt), {ids["troubleshooting"]: 2}),
        (
            rng.choice(
                [
                    f"How long are {s.name} audit logs retained?",
                    f"for how many days can I see who changed {a_resource}",
                ]
            ),
            {ids["security"]: 2},
        ),
        (
            f"Which port do clients use to connect to {a_resource}?",
            {ids["quickstart"]: 2, ids["security"]: 1},
        ),
        (
            rng.choice(
                [f"Who gets paged when {s.name} is down?", f"on-call team for {s.name} outages"]
            ),
            {ids["runbook"]: 2, "handbook-on-call": 1},
        ),
        (
            rng.choice([f"What uptime does {s.name} guarantee?", f"{s.name} SLA percentage"]),
            {ids["overview"]: 2},
        ),
        (f"In which regions can I deploy {s.name}?", {ids["overview"]: 2}),
        (f"How often are {s.name} encryption keys rotated?", {ids["security"]: 2}),
    ]
    chosen = rng.sample(candidates, 6)
    queries = [Query("", text, judgements) for text, judgements in chosen]
    return docs, queries


HANDBOOK = [
    (
        "travel",
        "Travel policy",
        [
            (
                "Booking",
                "Book flights and hotels through Wayfarer, the travel tool linked from "
                "the intranet, at least 14 days ahead when you can.",
            ),
            (
                "Meals",
                "While travelling you may spend up to 55 EUR per day on meals; alcohol is "
                "not reimbursed.",
            ),
            (
                "Hotels",
                "Hotel rooms are capped at 180 EUR per night, 240 EUR in London, Tokyo and "
                "New York.",
            ),
            (
                "Class of travel",
                "Economy class for flights under six hours, premium economy above.",
            ),
        ],
        [
            (
                "What is the daily food allowance on a business trip?",
                {"handbook-travel": 2, "handbook-expenses": 1},
            ),
            ("maximum nightly hotel rate when travelling for work", {"handbook-travel": 2}),
            ("Can I fly business class to a conference in Sydney?", {"handbook-travel": 2}),
        ],
    ),
    (
        "expenses",
        "Expense policy",
        [
            (
                "Submitting expenses",
                "Submit expenses in Ledgerline within 30 days of the "
                "purchase; later claims need your director's approval.",
            ),
            (
                "Receipts",
                "Attach a receipt to every item above 25 EUR. Travel meals follow the "
                "daily allowance in the travel policy.",
            ),
            (
                "Approval",
                "Your manager approves claims; claims above 2,000 EUR also go to finance.",
            ),
        ],
        [
            ("How long do I have to file an expense claim?", {"handbook-expenses": 2}),
            ("Do I need to keep the receipt for a 12 EUR taxi?", {"handbook-expenses": 2}),
        ],
    ),
    (
        "on-call",
        "On-call policy",
        [
            (
                "Rotations",
                "Each service team runs its own pager rotation, named after a bird. "
                "The incident runbook of a service names its rotation.",
            ),
            ("Shifts", "A shift lasts seven days and hands over on Tuesdays at 10:00 local time."),
            (
                "Compensation",
                "Each week on call pays a flat 350 EUR, plus time off in lieu for "
                "pages answered at night.",
            ),
            (
                "Acknowledging pages",
                "Acknowledge a page within five minutes; unacknowledged "
                "pages escalate as the service runbook describes.",
            ),
        ],
        [
            ("How much extra pay do I get for a week of on-call?", {"handbook-on-call": 2}),
            ("when does the pager handover happen", {"handbook-on-call": 2}),
        ],
    ),
    (
        "leave",
        "Leave policy",
        [
            (
                "Vacation",
                "Everyone gets 28 days of paid vacation per year, plus public holidays "
                "where they live. Up to five unused days carry over to March.",
            ),
            (
                "Parental leave",
                "Parents get 20 weeks of fully paid leave, to be taken within the "
                "first two years after birth or adoption.",
            ),
            (
                "Sick leave",
                "Tell your manager on the first day; a doctor's note is needed after "
                "three consecutive days.",
            ),
        ],
        [
            ("How many weeks of paid leave do new parents get?", {"handbook-leave": 2}),
            ("number of vacation days per year", {"handbook-leave": 2}),
            ("I have been ill since Monday, do I need a note from my GP?", {"handbook-leave": 2}),
        ],
    ),
    (
        "remote-work",
        "Remote work policy",
        [
            (
                "Where you can work",
                "You may work from anywhere in a country where Kestrel "
                "Systems has an entity, for up to 60 days a year from abroad.",
            ),
            (
                "Home office",
                "A one-off home office stipend of 800 EUR covers a desk, a chair and a monitor.",
            ),
            (
                "Core hours",
                "Teams agree on at least four core hours; most overlap 13:00 to 17:00 CET.",
            ),
        ],
        [
            (
                "Is there money for buying a desk and chair for working from home?",
                {"handbook-remote-work": 2},
            ),
            ("how many days per year can I work from another country", {"handbook-remote-work": 2}),
        ],
    ),
    (
        "laptops",
        "Laptop and device policy",
        [
            (
                "Standard equipment",
                "Engineers get a 14-inch laptop with 32 GB of memory; the "
                "refresh cycle is three years.",
            ),
            (
                "Security requirements",
                "Disk encryption, automatic updates and the endpoint agent "
                "must stay enabled; devices without them lose network access.",
            ),
            ("Lost devices", "Report a lost or stolen device to security within one hour."),
        ],
        [
            ("When will my work computer be replaced with a new one?", {"handbook-laptops": 2}),
            ("someone stole my laptop on the train, what now", {"handbook-laptops": 2}),
        ],
    ),
    (
        "incident-severity",
        "Incident severity levels",
        [
            (
                "SEV1",
                "A SEV1 is a full outage of a customer-facing service or data loss. An "
                "incident commander is named within 15 minutes.",
            ),
            ("SEV2", "A SEV2 is a partial outage or severe degradation affecting many customers."),
            (
                "SEV3",
                "A SEV3 affects few customers or has a workaround; it is handled in business "
                "hours.",
            ),
            (
                "Postmortems",
                "Every SEV1 and SEV2 gets a blameless postmortem within five business days.",
            ),
        ],
        [
            (
                "How quickly is an incident commander assigned for a total outage?",
                {"handbook-incident-severity": 2},
            ),
            ("do we write a postmortem for a SEV3", {"handbook-incident-severity": 2}),
        ],
    ),
    (
        "code-review",
        "Code review guidelines",
        [
            ("Approvals", "Changes need two approvals, one of them from a code owner."),
            (
                "Turnaround",
                "Reviewers respond within one business day, even if only to say when "
                "they will look.",
            ),
            ("Size", "Keep changes under 400 lines; split larger ones behind a feature flag."),
        ],
        [("How many reviewers must approve a pull request?", {"handbook-code-review": 2})],
    ),
    (
        "releases",
        "Release process",
        [
            ("Release train", "Services ship on a weekly release train that leaves on Wednesdays."),
            (
                "Freezes",
                "No production deploys on Fridays after 14:00 or during the December "
                "freeze, except for SEV1 fixes.",
            ),
            ("Rollbacks", "Every deploy must be reversible with one command from Kiln Build."),
        ],
        [
            ("Can I deploy to production on a Friday afternoon?", {"handbook-releases": 2}),
            ("what day of the week do releases go out", {"handbook-releases": 2}),
        ],
    ),
    (
        "data-retention",
        "Customer data retention",
        [
            (
                "After account closure",
                "Customer data is deleted within 30 days of account "
                "closure; backups expire 35 days later.",
            ),
            ("Logs", "Access logs are kept for 13 months for security investigations."),
            ("Legal holds", "Legal can suspend deletion for accounts under a legal hold."),
        ],
        [
            (
                "How soon after a customer leaves do we erase their data?",
                {"handbook-data-retention": 2},
            )
        ],
    ),
    (
        "security-training",
        "Security training",
        [
            (
                "Annual training",
                "Everyone completes the security awareness course every year in September.",
            ),
            (
                "Phishing drills",
                "Security sends simulated phishing e-mails every quarter; report "
                "them with the Report button.",
            ),
        ],
        [("When is the yearly security awareness course due?", {"handbook-security-training": 2})],
    ),
    (
        "hiring",
        "Hiring process",
        [
            (
                "Interview loop",
                "Candidates meet four interviewers: a hiring manager, two "
                "engineers and one person from another team.",
            ),
            (
                "Decisions",
                "The panel decides within two business days; the hiring manager makes "
                "the call when the panel is split.",
            ),
            (
                "Referrals",
                "A successful referral earns a 2,000 EUR bonus after the new hire's probation.",
            ),
        ],
        [("What is the referral bonus for recommending a friend?", {"handbook-hiring": 2})],
    ),
]

# Questions whose wording shares little with the page that answers them: the failures a report
# should surface. Judgements name the page a careful human would point to.
HARD_QUERIES = [
    (
        "my upload keeps failing because the video is too huge",
        {"burrow-storage-limits": 2, "burrow-storage-overview": 1},
    ),
    (
        "who do I wake up at night when the DNS goes down",
        {"canopy-dns-runbook": 2, "handbook-on-call": 1},
    ),
    (
        "money back when the service breaks its promise",
        {"aerie-compute-overview": 1, "fjord-databases-overview": 1, "drift-queues-overview": 1},
    ),
    ("cheapest way to pay for three years of Postgres", {"fjord-databases-pricing": 2}),
    (
        "what happens to cost reports if nobody labels what they own",
        {"aerie-compute-quickstart": 1, "burrow-storage-quickstart": 1},
    ),
    ("getting a second screen for my flat", {"handbook-remote-work": 2}),
]


def build(seed: int = SEED) -> tuple[list[Doc], list[Query]]:
    rng = random.Random(seed)
    docs: list[Doc] = []
    queries: list[Query] = []
    for index, service in enumerate(SERVICES):
        service_pages, service_queries = service_docs(service, rng, index)
        docs.extend(service_pages)
        queries.extend(service_queries)
    for slug, title, sections, handbook_queries in HANDBOOK:
        docs.append(Doc(f"handbook-{slug}", f"{ORG} handbook: {title}", list(sections)))
        queries.extend(Query("", text, judgements) for text, judgements in handbook_queries)
    queries.extend(Query("", text, judgements) for text, judgements in HARD_QUERIES)
    for number, query in enumerate(queries, start=1):
        query.query_id = f"q{number:03d}"
    known = {doc.doc_id for doc in docs}
    for query in queries:
        unknown = set(query.judgements) - known
        if unknown:
            raise ValueError(f"{query.query_id} judges unknown documents {sorted(unknown)}")
    return docs, queries


def write(out_dir: Path, docs: list[Doc], queries: list[Query]) -> None:
    (out_dir / "qrels").mkdir(parents=True, exist_ok=True)
    with (out_dir / "corpus.jsonl").open("w", encoding="utf-8") as corpus:
        for doc in docs:
            record = {"_id": doc.doc_id, "title": doc.title, "text": doc.markdown()}
            corpus.write(json.dumps(record, ensure_ascii=False) + "\n")
    with (out_dir / "queries.jsonl").open("w", encoding="utf-8") as query_file:
        for query in queries:
            record = {"_id": query.query_id, "text": query.text}
            query_file.write(json.dumps(record, ensure_ascii=False) + "\n")
    with (out_dir / "qrels" / "test.tsv").open("w", encoding="utf-8") as qrels:
        qrels.write("query-id\tcorpus-id\tscore\n")
        for query in queries:
            for doc_id, grade in sorted(query.judgements.items()):
                qrels.write(f"{query.query_id}\t{doc_id}\t{grade}\n")


def main(argv: list[str]) -> int:
    if len(argv) > 1:
        out_dir = Path(argv[1])
    else:
        found = sorted(Path(__file__).resolve().parents[1].glob("src/*/sample"))
        if not found:
            print("no src/<package>/sample folder found; pass OUT_DIR", file=sys.stderr)
            return 2
        out_dir = found[0]
    docs, queries = build()
    write(out_dir, docs, queries)
    sections = sum(len(doc.sections) for doc in docs)
    print(f"wrote {len(docs)} documents ({sections} sections), {len(queries)} queries to {out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
