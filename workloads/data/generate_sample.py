"""Regenerate sample.txt: `python workloads/data/generate_sample.py`.

The corpus is original text written for this project: short paragraphs of plain English about
ML operations, cloud computing and everyday life, assembled from hand-written sentence templates
with a fixed seed, so the shipped file is reproducible and free of third-party copyright.
"""

from __future__ import annotations

import random
from pathlib import Path

TOPICS = {
    "mlops": {
        "subjects": ["the training job", "the evaluation run", "the model registry", "the feature store",
                     "the data pipeline", "the inference endpoint", "the release gate", "the drift monitor",
                     "the checkpoint writer", "the batch scheduler", "the GPU node group", "the tokenizer"],
        "verbs": ["reads", "writes", "checks", "records", "rejects", "compares", "schedules", "retries",
                  "publishes", "validates", "shards", "caches"],
        "objects": ["a new checkpoint", "the validation loss", "every request log", "the holdout set",
                    "a fresh copy of the weights", "the learning rate schedule", "the metrics file",
                    "the perplexity report", "the token counts", "the failure reason", "the model card",
                    "the training manifest"],
        "reasons": ["so that a restarted run picks up where it stopped",
                    "because a spot instance can vanish at any moment",
                    "so the team can compare two releases side by side",
                    "before anyone promotes the model to production",
                    "so that a bad batch never reaches the customers",
                    "because nobody wants to debug a silent failure at night",
                    "so the loss curve tells an honest story",
                    "because the auditors ask for it every quarter"],
    },
    "cloud": {
        "subjects": ["the platform team", "the storage bucket", "the private subnet", "the load balancer",
                     "the encryption key", "the cost report", "the cluster autoscaler", "the VPC endpoint",
                     "the on-call engineer", "the access policy", "the log group", "the budget alarm"],
        "verbs": ["encrypts", "rotates", "blocks", "routes", "tags", "scales", "audits", "alerts on",
                  "replicates", "restricts", "denies", "summarises"],
        "objects": ["all traffic to the internet", "the monthly spend", "every object at rest",
                    "the idle instances", "public access to the data", "the cross-region copy",
                    "each new resource", "the noisy neighbour", "the expired credentials",
                    "the flow logs", "the nightly backups", "the unused volumes"],
        "reasons": ["so the security review passes without surprises",
                    "because the finance team watches the bill closely",
                    "so that one mistake cannot leak the data set",
                    "because least privilege is easier to keep than to restore",
                    "so a region outage does not stop the business",
                    "because tags make the cost report readable",
                    "so the next engineer understands the setup",
                    "because defaults are rarely the safe choice"],
    },
    "everyday": {
        "subjects": ["my neighbour", "the baker on the corner", "the old dog", "a tired student",
                     "the river", "the morning train", "my grandmother", "the small garden",
                     "the city library", "a cheerful child", "the autumn wind", "the village market"],
        "verbs": ["carries", "waters", "greets", "bakes", "follows", "paints", "repairs", "visits",
                  "remembers", "shares", "collects", "watches"],
        "objects": ["fresh bread before sunrise", "the tomatoes by the fence", "a basket of apples",
                    "the letters from last summer", "a borrowed bicycle", "the quiet harbour",
                    "a pot of strong tea", "the crowded platform", "a map of the old town",
                    "the first snow of the year", "a jar of honey", "the sleepy cat"],
        "reasons": ["because the weekend finally arrived",
                    "so the whole street smells of cinnamon",
                    "because small habits make a good day",
                    "while the rain taps on the window",
                    "so that nobody goes home hungry",
                    "because the light is softest in the evening",
                    "as the church bell rings nine times",
                    "because some traditions are worth keeping"],
    },
}

OPENERS = ["Every morning", "On Tuesdays", "After the last deploy", "In the long run", "Most of the time",
           "Once in a while", "Without fail", "Later that week", "By the end of the day", "Quietly",
           "Surprisingly", "As usual"]
CONNECTORS = ["Then", "Afterwards", "Meanwhile", "Still", "Of course", "In the meantime", "Even so", "Later"]
ADJECTIVES = ["careful", "patient", "busy", "reliable", "curious", "steady", "cautious", "generous"]
QUESTIONS = ["Why does {s} {v_base} {o}?", "Who decided that {s} {v} {o}?", "Does {s} really need to {v_base} {o}?"]
NUMBERS = ["two", "three", "four", "five", "seven", "ten", "twelve", "forty"]
UNITS = ["minutes", "hours", "days", "steps", "retries", "replicas"]


def _base(verb: str) -> str:
    head, _, tail = verb.partition(" ")
    if head.endswith("ies"):
        head = head[:-3] + "y"
    elif head.endswith(("shes", "ches", "ses", "xes")):
        head = head[:-2]
    elif head.endswith("s"):
        head = head[:-1]
    return f"{head} {tail}".strip()


def _sentence(rng: random.Random, topic: dict) -> str:
    s, v, o, r = (rng.choice(topic[k]) for k in ("subjects", "verbs", "objects", "reasons"))
    shape = rng.randrange(7)
    if shape == 0:
        return f"{rng.choice(OPENERS)}, {s} {v} {o} {r}."
    if shape == 1:
        return f"{s[0].upper()}{s[1:]} {v} {o}, {r}."
    if shape == 2:
        return f"{rng.choice(CONNECTORS)}, the {rng.choice(ADJECTIVES)} one among us {v} {o}."
    if shape == 3:
        return rng.choice(QUESTIONS).format(s=s, v=v, v_base=_base(v), o=o)
    if shape == 4:
        return f"It takes {rng.choice(NUMBERS)} {rng.choice(UNITS)} before {s} {v} {o}."
    if shape == 5:
        return f"Nobody minds when {s} {v} {o}, {r}."
    return f"{s[0].upper()}{s[1:]} is {rng.choice(ADJECTIVES)}, and it {v} {o} {r}."


def generate(seed: int = 2024, target_bytes: int = 45_000) -> str:
    rng = random.Random(seed)
    names = sorted(TOPICS)
    paragraphs: list[str] = []
    size = 0
    while size < target_bytes:
        topic = TOPICS[rng.choice(names)]
        paragraph = " ".join(_sentence(rng, topic) for _ in range(rng.randint(3, 7)))
        paragraphs.append(paragraph)
        size += len(paragraph) + 2
    return "\n\n".join(paragraphs) + "\n"


if __name__ == "__main__":
    out = Path(__file__).with_name("sample.txt")
    out.write_text(generate(), encoding="utf-8")
    print(f"wrote {out} ({out.stat().st_size} bytes)")
