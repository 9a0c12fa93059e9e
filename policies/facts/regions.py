"""AWS regions and their availability zones: one home for settings (the regions and zone names a stack
may use) and the offline engine (what `aws.get_regions` and `aws.get_availability_zones` answer).
Data only. Commercial, GovCloud and China partitions.

Each region maps its zone letters to zone ids, as one real account sees them. Zone ids
(use1-az1, ...) name the same physical zone in every account; in most regions AWS maps the letters
to ids differently per account, so only the set of letters and ids is a fact, not the pairing.

Checked: every region's zone count, letters and ids agree with moto 5.2.1's table (recorded from
real accounts; tests/infra/test_engine_invokes.py compares them) and with AWS's published zone
counts (2026-07). Not checked against a live account here (no AWS access). UNCONFIRMED lists the
regions where the sources disagree.
"""

from __future__ import annotations

AVAILABILITY_ZONES: dict[str, dict[str, str]] = {
    "us-east-1": {"a": "use1-az6", "b": "use1-az1", "c": "use1-az2", "d": "use1-az4", "e": "use1-az3", "f": "use1-az5"},
    "us-east-2": {"a": "use2-az1", "b": "use2-az2", "c": "use2-az3"},
    "us-west-1": {"a": "usw1-az3", "b": "usw1-az1"},
    "us-west-2": {"a": "usw2-az2", "b": "usw2-az1", "c": "usw2-az3", "d": "usw2-az4"},
    "ca-central-1": {"a": "cac1-az1", "b": "cac1-az2", "d": "cac1-az4"},
    "ca-west-1": {"a": "caw1-az1", "b": "caw1-az2", "c": "caw1-az3"},
    "mx-central-1": {"a": "mxc1-az1", "b": "mxc1-az2", "c": "mxc1-az3"},
    "sa-east-1": {"a": "sae1-az1", "b": "sae1-az2", "c": "sae1-az3"},
    "eu-central-1": {"a": "euc1-az1", "b": "euc1-az2", "c": "euc1-az3"},
    "eu-central-2": {"a": "euc2-az1", "b": "euc2-az2", "c": "euc2-az3"},
    "eu-west-1": {"a": "euw1-az3", "b": "euw1-az1", "c": "euw1-az2"},
    "eu-west-2": {"a": "euw2-az2", "b": "euw2-az3", "c": "euw2-az1"},
    "eu-west-3": {"a": "euw3-az1", "b": "euw3-az2", "c": "euw3-az3"},
    "eu-south-1": {"a": "eus1-az1", "b": "eus1-az2", "c": "eus1-az3"},
    "eu-south-2": {"a": "eus2-az1", "b": "eus2-az2", "c": "eus2-az3"},
    "eu-north-1": {"a": "eun1-az1", "b": "eun1-az2", "c": "eun1-az3"},
    "il-central-1": {"a": "ilc1-az1", "b": "ilc1-az2", "c": "ilc1-az3"},
    "me-south-1": {"a": "mes1-az1", "b": "mes1-az2", "c": "mes1-az3"},
    "me-central-1": {"a": "mec1-az1", "b": "mec1-az2", "c": "mec1-az3"},
    "af-south-1": {"a": "afs1-az1", "b": "afs1-az2", "c": "afs1-az3"},
    "ap-east-1": {"a": "ape1-az1", "b": "ape1-az2", "c": "ape1-az3"},
    "ap-east-2": {"a": "ape2-az1", "b": "ape2-az2", "c": "ape2-az3"},
    "ap-south-1": {"a": "aps1-az1", "b": "aps1-az3", "c": "aps1-az2"},
    "ap-south-2": {"a": "aps2-az1", "b": "aps2-az2", "c": "aps2-az3"},
    "ap-southeast-1": {"a": "apse1-az1", "b": "apse1-az2", "c": "apse1-az3"},
    "ap-southeast-2": {"a": "apse2-az1", "b": "apse2-az3", "c": "apse2-az2"},
    "ap-southeast-3": {"a": "apse3-az1", "b": "apse3-az2", "c": "apse3-az3"},
    "ap-southeast-4": {"a": "apse4-az1", "b": "apse4-az2", "c": "apse4-az3"},
    "ap-southeast-5": {"a": "apse5-az1", "b": "apse5-az2", "c": "apse5-az3"},
    "ap-southeast-7": {"a": "apse7-az1", "b": "apse7-az2", "c": "apse7-az3"},
    "ap-northeast-1": {"a": "apne1-az4", "c": "apne1-az1", "d": "apne1-az2"},
    "ap-northeast-2": {"a": "apne2-az1", "b": "apne2-az2", "c": "apne2-az3", "d": "apne2-az4"},
    "ap-northeast-3": {"a": "apne3-az1", "b": "apne3-az2", "c": "apne3-az3"},
    "us-gov-east-1": {"a": "usge1-az1", "b": "usge1-az2", "c": "usge1-az3"},
    "us-gov-west-1": {"a": "usgw1-az1", "b": "usgw1-az2", "c": "usgw1-az3"},
    "cn-north-1": {"a": "cnn1-az1", "b": "cnn1-az2", "d": "cnn1-az4"},
    "cn-northwest-1": {"a": "cnnw1-az1", "b": "cnnw1-az2", "c": "cnnw1-az3"},
}

# Regions whose zone letters differ between accounts (so settings accept any letter there).
LETTERS_VARY_BY_ACCOUNT: frozenset[str] = frozenset({
    "us-west-1",    # two zones, lettered a/b, a/c or b/c depending on the account
})

# Where the sources disagree: moto records two zones for cn-north-1; AWS China lists three (1a, 1b, 1d).
UNCONFIRMED: frozenset[str] = frozenset({"cn-north-1"})


# Regions an account must opt into before use (AWS account management docs, 2026-07): a new account
# has opted into none, so `aws.get_regions()` lists only the others unless all_regions is set.
OPT_IN_REGIONS: frozenset[str] = frozenset({
    "af-south-1", "ap-east-1", "ap-east-2", "ap-south-2", "ap-southeast-3", "ap-southeast-4",
    "ap-southeast-5", "ap-southeast-7", "ca-west-1", "eu-central-2", "eu-south-1", "eu-south-2",
    "il-central-1", "me-central-1", "me-south-1", "mx-central-1",
})
